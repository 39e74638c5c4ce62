/* Fleet views: identical nodes grouped into kinds, workloads x kinds matrix,
 * what-if driver changes, the blocking constraint of an unschedulable request,
 * and the reports built on them (text, JSON, CSV, self-contained HTML).
 * Every verdict comes from gm_match on a kind's first node: grouping only
 * merges nodes whose match-relevant facts are equal. */
#ifndef GPUMATCH_FLEET_H
#define GPUMATCH_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include "gpumatch/common.h"
#include "gpumatch/error.h"
#include "gpumatch/match.h"
#include "gpumatch/node.h"
#include "gpumatch/require.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    char *id;          /* short, unique, usable as a pool: "h100", "a100-2" */
    char *gpus;        /* "2x NVIDIA H100 80GB HBM3 (CC 9.0, 81559 MiB)" */
    char *was_driver;  /* what-if: the driver before the change, else NULL */
    size_t *members;   /* indices into the node list, in input order */
    size_t n_members;
} gm_node_kind;

typedef struct {
    gm_node_kind *kinds; /* in order of their first member */
    size_t n;
    size_t *kind_of;     /* per node: its kind */
    size_t n_nodes;
} gm_node_kinds;

/* Groups nodes that have the same driver, CUDA driver version, instance type
 * and devices (model, brand, CC, memory, MIG mode and instances); hostnames,
 * UUIDs, bus ids and indices do not matter. */
int gm_node_kinds_build(const gm_node_list *nodes, gm_node_kinds *out, gm_error *err);
void gm_node_kinds_free(gm_node_kinds *k);
/* hostname, else instance type, else "node#I". */
const char *gm_node_display_name(const gm_node *n, size_t i, char *buf, size_t len);

/* A verdict condensed for one kind: node reasons, then distinct unit reasons
 * with the GPUs they apply to ("GPU 0,1: ..."); notes likewise. */
typedef enum { GM_CELL_FITS = 0, GM_CELL_NOTE = 1, GM_CELL_NO = 2 } gm_cell_state;
typedef struct {
    gm_cell_state state;
    size_t n_compatible;
    gm_strlist reasons;
    gm_strlist notes;
} gm_cell;
int gm_cell_from_verdict(const gm_verdict *v, gm_cell *out, gm_error *err);
void gm_cell_free(gm_cell *c);
const char *gm_cell_state_str(gm_cell_state s); /* "fits", "fits-with-note", "no" */

typedef struct {
    const char *driver; /* new driver version for the pool */
    const char *pool;   /* a kind id, or a glob on kind ids, hostnames, instance types */
} gm_what_if;

typedef struct {
    gm_node_kinds kinds;     /* after the what-if, if any */
    gm_node *view;           /* shallow copies of the nodes, drivers changed */
    size_t n_workloads;
    char **workload_names;
    gm_cell *cells;          /* [w * kinds.n + k] */
    gm_cell *before;         /* what-if: same layout, verdicts before the change */
    bool *changed;           /* what-if: per kind, its driver was changed */
    char *what_if_driver, *what_if_pool;
} gm_matrix;

int gm_matrix_run(const gm_node_list *nodes, const gm_requirement *reqs, char *const *names,
                  size_t n_reqs, const gm_what_if *wi, gm_matrix *out, gm_error *err);
void gm_matrix_free(gm_matrix *m);

/* width 0 = unlimited; longer fields are elided with "…". */
char *gm_matrix_to_text(const gm_matrix *m, int width, gm_error *err);
char *gm_matrix_to_json(const gm_matrix *m, gm_error *err);
char *gm_matrix_to_csv(const gm_matrix *m, gm_error *err);
/* One self-contained HTML page: heatmap, reasons, per-pool summary, what-if. */
char *gm_matrix_to_html(const gm_matrix *m, const char *title, gm_error *err);

/* `check --json`: v[i] is gm_match of the requirement named req_path against
 * nodes->nodes[i]. JSON text (caller frees) or NULL with err set. */
char *gm_verdicts_to_json(const gm_node_list *nodes, const gm_verdict *v, const char *req_path,
                          gm_error *err);
/* `check --format csv`: a row per node and per GPU (RFC 4180, CRLF), after a
 * header row when header is true. */
char *gm_verdicts_to_csv(const gm_node_list *nodes, const gm_verdict *v, const char *req_path,
                         bool header, gm_error *err);

/* For a requirement that fits on no node: the constraint that blocks it,
 * e.g. "no GPU has both >= 100000 MiB and CC 9.0 (where its code runs)".
 * *line is NULL if something fits or nothing simpler can be said. */
int gm_fleet_blocking(const gm_node_list *nodes, const gm_node_kinds *kinds,
                      const gm_requirement *req, char **line, gm_error *err);

/* Display helpers for width-aware output (UTF-8 aware, control chars escaped). */
/* Copies s with control characters as \xNN (or \n, \t) into a new string. */
char *gm_text_escape(const char *s);
/* Display columns of UTF-8 text (1 per code point). */
size_t gm_text_width(const char *s);
/* New string: s cut to at most w columns, ending in "…" when cut; w 0 = no limit. */
char *gm_text_elide(const char *s, size_t w);

#ifdef __cplusplus
}
#endif
#endif
