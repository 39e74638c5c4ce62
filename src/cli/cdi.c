/* gpumatch cdi (not yet implemented). */
#include "cli/cli.h"

int gm_cli_cdi(int argc, char **argv) {
    gm_cli_errorf("cdi", "not implemented yet");
    return GM_EXIT_INPUT;
}
