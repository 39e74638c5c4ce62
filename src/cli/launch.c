/* gpumatch launch (not yet implemented). */
#include "cli/cli.h"

int gm_cli_launch(int argc, char **argv) {
    gm_cli_errorf("launch", "not implemented yet");
    return GM_EXIT_INPUT;
}
