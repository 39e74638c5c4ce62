/* What a node export publishes as schedulable units: a GPU not in MIG mode,
 * or each MIG instance of a GPU in MIG mode (the parent never: a container
 * given the parent would get the whole GPU, which MIG has partitioned). Same
 * units as gm_match / plan; a MIG-enabled GPU without instances offers none. */
#ifndef GM_EXPORT_UNITS_H
#define GM_EXPORT_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include "gpumatch/common.h"
#include "gpumatch/error.h"
#include "gpumatch/node.h"

typedef struct {
    const gm_device *d;
    const gm_mig_instance *m; /* NULL: the whole GPU */
} gm_xunit;

/* Units of n in device order; *out is malloc'ed (NULL when none). -1 on OOM. */
int gm_xunits(const gm_node *n, gm_xunit **out, size_t *count);
bool gm_dev_is_mig(const gm_device *d);
/* Memory of the unit (MiB, -1 unknown). */
long gm_xunit_mem(const gm_xunit *u);
/* MIG capability device minors as the driver lays out
 * /proc/driver/nvidia-caps/mig-minors: config 1, monitor 2, then per GPU minor
 * g, per GPU instance gi (0..14): gi access 3 + 135g + 9gi, its compute
 * instances ci (0..7) the next 8. */
int gm_mig_gi_cap_minor(int gpu_minor, int gi);
int gm_mig_ci_cap_minor(int gpu_minor, int gi, int ci);
/* Full GPUs (not in MIG mode) of n. */
size_t gm_full_gpus(const gm_node *n);

/* arvados.c: one InstanceTypes map for all nodes (names must differ). */
int gm_export_arvados_nodes(const gm_node_list *l, char **out, gm_strlist *notes, gm_error *err);

#endif

/* Architecture names as NVIDIA's tools spell them: the tables' "Ada" is
 * "Ada Lovelace" (go-nvlib, DRA driver); GFD's gpu.family is its lowercase,
 * dash-joined form ("ada-lovelace"). */
const char *gm_arch_long(const char *arch);
/* NVML brand word ("tesla") as go-nvlib's GetBrandAsString ("Tesla"). */
const char *gm_brand_nvml(const char *brand);
/* "00000000:3B:00.0" -> "0000:3b:00.0" (lowercase: Kubernetes' PCI bus id). */
void gm_busid_short(const char *in, bool lower, char *buf, size_t len);

/* slurm.c: a node's slurm.conf NodeName line and its gres.conf lines. */
int gm_export_slurm_node_parts(const gm_node *n, char **conf, char **gres, gm_strlist *notes,
                               gm_error *err);
