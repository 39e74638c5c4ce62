/* The CLI: one file per verb, each a thin layer over libgpumatch. */
#ifndef GM_CLI_H
#define GM_CLI_H

#include <getopt.h>
#include <stdio.h>
#include <stdbool.h>
#include "gpumatch/error.h"
#include "gpumatch/inspect.h"
#include "gpumatch/node.h"
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
/* The grammar all verbs share (args.c). Functions returning int return an
 * exit code and have printed the error. */

/* getopt_long with "unknown option --requre; did you mean --require?" and
 * "option --format given twice" (for a required_argument option whose val
 * is not in `repeatable`). Returns the option, -1 at the end, '?' after an
 * error (the verb exits 2). */
typedef struct {
    const char *verb;
    const char *shortopts;
    const struct option *longopts;
    const char *repeatable;
    unsigned char seen[256];
} gm_cli_args;
int gm_cli_getopt(gm_cli_args *a, int argc, char **argv);

/* --format/--json: *fmt (start at -1) gets GM_FMT_*; allowed: bits 1u << GM_FMT_*. */
enum { GM_FMT_TABLE, GM_FMT_JSON, GM_FMT_CSV };
#define GM_FMT_TJ ((1u << GM_FMT_TABLE) | (1u << GM_FMT_JSON))
#define GM_FMT_ALL (GM_FMT_TJ | (1u << GM_FMT_CSV))
int gm_cli_format_set(const char *verb, int *fmt, const char *arg, unsigned allowed);

/* One --nodes/--require argument as paths: a directory (with dirs) -> its
 * *.json sorted; a glob -> its matches sorted (none is an error); "-" as is. */
int gm_cli_expand(const char *verb, const char *opt, const char *arg, bool dirs, gm_strlist *out);
/* --nodes ARG: appends every node of every file ARG names ("-": stdin).
 * A requirement document there is named as such. */
int gm_cli_nodes_add(const char *verb, const char *arg, gm_node_list *nodes);
/* The node named host (any hostname), else the only one; moved out of l. */
int gm_cli_pick_node(const char *verb, gm_node_list *l, const char *from, const char *host,
                     gm_node *out);

/* --require ARG: documents ("-": stdin), or binaries, directories, wheels,
 * images inspected on the fly; globs expand to several. */
typedef struct {
    char *path;
    gm_requirement req;
} gm_cli_req;
typedef struct {
    gm_cli_req *items;
    size_t n;
} gm_cli_reqs;
int gm_cli_require_add(const char *verb, const char *arg, gm_cli_reqs *reqs);
void gm_cli_reqs_free(gm_cli_reqs *reqs);
/* inspect PATH into *req (no device code is exit 2). */
int gm_cli_inspect_require(const char *verb, const char *path, gm_requirement *req);

/* Progress of an inspection on a terminal's stderr (never on a pipe), unless
 * -q/--quiet set gm_cli_quiet; clear it before printing anything else. */
extern bool gm_cli_quiet;
typedef struct {
    double start, last;
    bool shown;
} gm_cli_progress;
void gm_cli_progress_attach(gm_cli_progress *l, gm_inspect *in);
void gm_cli_progress_clear(gm_cli_progress *l);
bool gm_cli_is_json_file(const char *path);

/* -o FILE for output printed to stdout as it goes: stdout goes to a
 * temporary file, renamed over FILE (mode kept) by _end when ok. */
typedef struct {
    FILE *f;
    char *tmp;
    const char *path;
    int saved;
} gm_cli_redirect;
int gm_cli_stdout_begin(const char *verb, const char *path, gm_cli_redirect *r);
int gm_cli_stdout_end(const char *verb, gm_cli_redirect *r, bool ok);
/* The exit code lines every --help ends with. */
void gm_cli_exit_help(FILE *f);
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
