/* gpumatch export (not yet implemented). */
#include "cli/cli.h"

int gm_cli_export(int argc, char **argv) {
    gm_cli_errorf("export", "not implemented yet");
    return GM_EXIT_INPUT;
}
