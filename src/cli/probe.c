/* gpumatch probe (not yet implemented). */
#include "cli/cli.h"

int gm_cli_probe(int argc, char **argv) {
    gm_cli_errorf("probe", "not implemented yet");
    return GM_EXIT_INPUT;
}
