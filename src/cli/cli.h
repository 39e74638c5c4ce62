/* The CLI: one file per verb, each a thin layer over libgpumatch. */
#ifndef GM_CLI_H
#define GM_CLI_H

#include <stdio.h>
#include <stdbool.h>
#include "gpumatch/error.h"
#include "gpumatch/require.h"

/* Exit codes, documented in README.md ("Exit codes"). */
enum {
    GM_EXIT_OK = 0,     /* success; the answer is yes (fits, all checks ok) */
    GM_EXIT_NO = 1,     /* the answer is no (nothing fits, a preflight failure) */
    GM_EXIT_INPUT = 2,  /* bad usage or bad input (file, JSON, version string) */
    GM_EXIT_ENV = 3     /* the environment lacks something (no NVIDIA driver, no runtime) */
};

/* Prints "gpumatch VERB: message" as one line on stderr. */
void gm_cli_errorf(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gm_cli_error(const char *verb, const gm_error *err);
/* GM_EINVAL/EFORMAT/EIO on input -> 2, ENOTFOUND/EBACKEND -> 3, else 2. */
int gm_cli_exit_for(int status);
/* Writes text to stdout or, atomically, to path (NULL or "-" = stdout). */
int gm_cli_output(const char *verb, const char *path, const char *text);

/* asprintf that returns the string, or NULL on OOM. */
char *gm_cli_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Output width: $COLUMNS, else the terminal's, else 0 (no limit: a pipe). */
int gm_cli_width(void);

int gm_cli_check(int argc, char **argv);
int gm_cli_tables(int argc, char **argv);
int gm_cli_inspect(int argc, char **argv);
/* check --require PATH: inspect PATH into *req (exit code; errors printed). */
int gm_cli_inspect_require(const char *path, gm_requirement *req);
bool gm_cli_is_json_file(const char *path);
int gm_cli_probe(int argc, char **argv);
int gm_cli_plan(int argc, char **argv);
int gm_cli_export(int argc, char **argv);
int gm_cli_launch(int argc, char **argv);
int gm_cli_driver_files(int argc, char **argv);
int gm_cli_cdi(int argc, char **argv);
int gm_cli_preflight(int argc, char **argv);
int gm_cli_matrix(int argc, char **argv);
int gm_cli_report(int argc, char **argv);
int gm_cli_prove(int argc, char **argv);
int gm_cli_agent(int argc, char **argv);

#endif
