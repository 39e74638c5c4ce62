/* The texts gm_agent_step writes (advanced API: the tests check them against
 * NFD, Prometheus and Slurm parsers without running an agent). */
#ifndef GPUMATCH_SYS_AGENT_H
#define GPUMATCH_SYS_AGENT_H

#include <stdbool.h>
#include <time.h>
#include "gpumatch/error.h"
#include "gpumatch/node.h"
#include "gpumatch/preflight.h"

#ifdef __cplusplus
extern "C" {
#endif

/* report may be NULL (not evaluated). Caller frees. */
char *gm_agent_nfd_text(const gm_node *n, const gm_pf_report *report, const char *label_ns,
                        time_t expiry, gm_error *err);
char *gm_agent_prom_text(const gm_node *n, const gm_pf_report *report, bool probe_ok,
                         time_t last_ok, gm_error *err);
/* Slurm feature words of a node (gpumatch export --to slurm's Features=). */
char *gm_agent_slurm_features(const gm_node *n, gm_error *err);

#ifdef __cplusplus
}
#endif
#endif
