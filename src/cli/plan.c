/* gpumatch plan (not yet implemented). */
#include "cli/cli.h"

int gm_cli_plan(int argc, char **argv) {
    gm_cli_errorf("plan", "not implemented yet");
    return GM_EXIT_INPUT;
}
