/* gpumatch prove as a step of other verbs (preflight --prove). */
#ifndef GM_CLI_PROVE_H
#define GM_CLI_PROVE_H

#include <stdbool.h>
#include <stddef.h>
#include "gpumatch/prove.h"

/* Proves paths, prints the report (text, or JSON to out) and the
 * DISAGREEMENT lines; returns prove's exit code (see `gpumatch prove --help`). */
int gm_cli_prove_run(const char *const *paths, size_t n, const gm_prove_opts *o, bool json,
                     const char *out);

#endif
