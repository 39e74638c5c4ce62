/* gpumatch inspect (not yet implemented). */
#include "cli/cli.h"

int gm_cli_inspect(int argc, char **argv) {
    gm_cli_errorf("inspect", "not implemented yet");
    return GM_EXIT_INPUT;
}
