/* Shared between the probe backends in src/probe; not public. */
#ifndef GM_PROBE_INT_H
#define GM_PROBE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include "gpumatch/probe.h"

/* Each backend fills out (already gm_node_init'ed). Return GM_EABSENT when its
 * source is absent (library not installed, no /proc entries) so the caller may
 * try the next one; GM_ENODRIVER when the source says no driver is loaded; any
 * other error is final too. */
int gm_probe_nvml(const gm_probe_opts *o, gm_node *out, gm_error *err);
int gm_probe_cuda(const gm_probe_opts *o, gm_node *out, gm_error *err);
int gm_probe_procfs(const gm_probe_opts *o, gm_node *out, gm_error *err);
int gm_probe_smi(const gm_probe_opts *o, gm_node *out, gm_error *err);

/* Kernel module version from ROOT/proc/driver/nvidia/version (gm_host_driver_version);
 * GM_EABSENT if absent. */
int gm_probe_procfs_version(const char *root, gm_driver_version *out, gm_error *err);

/* Appends a zeroed (gm_device_init'ed) device; NULL on OOM. */
gm_device *gm_probe_add_device(gm_node *n);
gm_mig_instance *gm_probe_add_mig(gm_device *d);
/* MIG profile from a MIG device name: "NVIDIA A100-SXM4-40GB MIG 1g.5gb" -> "1g.5gb". */
char *gm_probe_mig_profile_from_name(const char *name);
/* Compute capability from a product name ("Tesla T4" -> 7.5); false if unknown. */
bool gm_probe_cc_from_name(const char *name, gm_cc *cc);
/* "00000000:07:00.0" normalised: lower-case hex, 8-digit domain. NULL on junk. */
char *gm_probe_norm_busid(const char *s);
/* dlopen()s the library named by override, else by the environment variable
 * env, else def; *lib gets the name used. GM_EABSENT names it if absent. */
int gm_probe_dlopen(const char *override, const char *env, const char *def, void **h,
                    const char **lib, gm_error *err);
/* Resolves one symbol; a required one missing makes the library "broken". */
int gm_probe_dlsym(void *h, const char *lib, void **slot, const char *name, bool required,
                   gm_error *err);
/* Sets "LIB: CALL(IDX) failed: TEXT (API error CODE)" (IDX < 0: no index). */
int gm_probe_call_failed(gm_error *err, const char *lib, const char *call, int idx,
                         const char *text, const char *api, int code);
/* Resolves a->FIELD from symbol NAME in a backend's load(); returns on error. */
#define GM_PROBE_SYM(field, name, req)                                                  \
    do {                                                                                \
        int rc_ = gm_probe_dlsym(a->h, a->lib, (void **)&a->field, name, req, err);     \
        if (rc_ < 0)                                                                    \
            return rc_;                                                                 \
    } while (0)

#endif
