/* gpumatch driver-files (not yet implemented). */
#include "cli/cli.h"

int gm_cli_driver_files(int argc, char **argv) {
    gm_cli_errorf("driver-files", "not implemented yet");
    return GM_EXIT_INPUT;
}
