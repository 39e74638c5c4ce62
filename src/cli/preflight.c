/* gpumatch preflight (not yet implemented). */
#include "cli/cli.h"

int gm_cli_preflight(int argc, char **argv) {
    gm_cli_errorf("preflight", "not implemented yet");
    return GM_EXIT_INPUT;
}
