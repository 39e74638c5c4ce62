/* The node document: what a machine offers. Produced by probe, read by check,
 * plan, export, launch and preflight. JSON form documented in README.md. */
#ifndef GPUMATCH_NODE_H
#define GPUMATCH_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include "gpumatch/common.h"
#include "gpumatch/error.h"
#include "gpumatch/version.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { GM_TRI_UNKNOWN = -1, GM_TRI_NO = 0, GM_TRI_YES = 1 } gm_tristate;

typedef enum {
    GM_MIG_UNKNOWN = 0,
    GM_MIG_UNSUPPORTED,
    GM_MIG_DISABLED,
    GM_MIG_ENABLED
} gm_mig_mode;

typedef struct {
    char *uuid;         /* "MIG-..." */
    char *profile;      /* "1g.10gb", may be NULL */
    long memory_mib;    /* -1 unknown */
    int gi, ci;         /* GPU / compute instance ids, -1 unknown */
} gm_mig_instance;

typedef struct {
    int index;
    int minor;           /* kernel device minor: /dev/nvidia<minor>; -1 unknown (use index) */
    char *uuid;          /* "GPU-..." may be NULL */
    char *name;          /* "NVIDIA A100-SXM4-80GB" */
    char *brand;         /* NVIDIA's brand word ("tesla", "geforce", ...); may be NULL */
    char *pci_bus_id;    /* may be NULL */
    gm_cc cc;            /* 0.0 = unknown */
    long memory_mib;     /* total framebuffer; -1 unknown */
    gm_mig_mode mig_mode;
    gm_mig_mode mig_pending; /* GM_MIG_UNKNOWN if not reported */
    gm_tristate persistence_mode;
    gm_mig_instance *mig;
    size_t n_mig;
} gm_device;

typedef struct {
    char *hostname;
    gm_driver_version driver;
    gm_cuda_version cuda_driver;   /* what the driver supports; {0,0} unknown */
    bool has_cuda_driver;
    gm_device *devices;
    size_t n_devices;
    /* Inventory extras for plan (instance types): */
    char *instance_type;  /* NULL for a fixed node */
    double price;         /* < 0 unknown */
    long count;           /* how many such nodes/instances; 1 default */
    bool has_count;       /* count was given (an instance type without it is unlimited) */
} gm_node;

typedef struct {
    gm_node *nodes;
    size_t n;
} gm_node_list;

void gm_node_init(gm_node *n);
void gm_node_free(gm_node *n);          /* frees members, not n itself */
void gm_node_list_free(gm_node_list *l);
void gm_device_init(gm_device *d);

/* What the driver supports: cuda_driver if probed, else derived from the driver
 * version through the toolkit table. false if neither is known. */
bool gm_node_driver_cuda(const gm_node *n, gm_cuda_version *out);

/* Parse one node object, an array of nodes, or {"nodes": [...]} from text.
 * `origin` (a file name) prefixes error messages. Appends to list. */
int gm_node_list_parse(const char *text, size_t len, const char *origin, gm_node_list *list,
                       gm_error *err);
int gm_node_list_load(const char *path, gm_node_list *list, gm_error *err);

/* JSON text of one node (pretty, trailing newline). Caller frees. */
char *gm_node_to_json(const gm_node *n, gm_error *err);
const char *gm_mig_mode_str(gm_mig_mode m);
/* The device minor of /dev/nvidiaN: the probed one, else the index (the usual
 * numbering, which the kernel does not promise). */
int gm_device_minor(const gm_device *d);

#ifdef __cplusplus
}
#endif
#endif
