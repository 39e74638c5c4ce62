/* Check 5: per-GPU state from the node document: persistence mode, MIG. */
#include <stdio.h>
#include "preflight/pf.h"

int pf_check_gpu_state(pf_ctx *c) {
    if (!c->node)
        return pf_add(c, "gpu.state", GM_PF_SKIP, NULL, NULL,
                      "no node document (give --node FILE or run where probe works)");
    if (c->node->n_devices == 0)
        return pf_add(c, "gpu.state", GM_PF_SKIP, NULL, NULL, "node document lists no GPU");
    int rc = 0;
    for (size_t i = 0; i < c->node->n_devices && !rc; i++) {
        const gm_device *d = &c->node->devices[i];
        char subj[64];
        snprintf(subj, sizeof subj, "GPU %d", d->index);
        const char *name = d->name ? d->name : "GPU";
        gm_tristate dc = pf_is_datacenter(d);

        /* Persistence: without it the driver tears the GPU down when the last
         * client exits, so every container start pays the initialisation. */
        if (d->persistence_mode == GM_TRI_UNKNOWN)
            rc = pf_add(c, "gpu.persistence", GM_PF_SKIP, subj, NULL,
                        "%s: persistence mode not reported", name);
        else if (d->persistence_mode == GM_TRI_YES)
            rc = pf_add(c, "gpu.persistence", GM_PF_OK, subj, NULL, "%s: persistence mode on",
                        name);
        else if (dc == GM_TRI_YES)
            rc = pf_add(c, "gpu.persistence", GM_PF_WARN, subj,
                        "run nvidia-persistenced (or nvidia-smi -pm 1)",
                        "%s: persistence mode off on a data-center GPU: slow first CUDA "
                        "start in every container",
                        name);
        else
            rc = pf_add(c, "gpu.persistence", GM_PF_OK, subj, NULL,
                        "%s: persistence mode off (%s GPU: optional)", name,
                        dc == GM_TRI_NO ? "workstation" : "not a known data-center");
        if (rc)
            break;

        /* MIG enabled with no instance: the GPU cannot run CUDA work as a whole. */
        if (d->mig_mode == GM_MIG_ENABLED && d->n_mig == 0)
            rc = pf_add(c, "gpu.mig-instances", GM_PF_FAIL, subj,
                        "create instances (nvidia-smi mig -cgi PROFILES -C) or disable MIG "
                        "(nvidia-smi -mig 0 and reset the GPU)",
                        "%s: MIG enabled but no MIG instances: no CUDA work can run on it", name);
        else if (d->mig_mode == GM_MIG_ENABLED)
            rc = pf_add(c, "gpu.mig-instances", GM_PF_OK, subj, NULL,
                        "%s: MIG enabled, %zu instance(s)", name, d->n_mig);
        else
            rc = pf_add(c, "gpu.mig-instances",
                        d->mig_mode == GM_MIG_UNKNOWN ? GM_PF_SKIP : GM_PF_OK, subj, NULL,
                        "%s: MIG %s", name, gm_mig_mode_str(d->mig_mode));
        if (rc)
            break;

        /* A pending mode is applied only by a GPU reset (or reboot). */
        if (d->mig_pending != GM_MIG_UNKNOWN && d->mig_mode != GM_MIG_UNKNOWN &&
            d->mig_pending != d->mig_mode)
            rc = pf_add(c, "gpu.mig-pending", GM_PF_WARN, subj,
                        "reset the GPU (nvidia-smi -r -i N, with no process on it) or reboot",
                        "%s: MIG mode change pending (current %s, pending %s)", name,
                        gm_mig_mode_str(d->mig_mode), gm_mig_mode_str(d->mig_pending));
        else if (d->mig_pending == GM_MIG_UNKNOWN || d->mig_mode == GM_MIG_UNKNOWN)
            rc = pf_add(c, "gpu.mig-pending", GM_PF_SKIP, subj, NULL,
                        "%s: pending MIG mode not reported", name);
        else
            rc = pf_add(c, "gpu.mig-pending", GM_PF_OK, subj, NULL,
                        "%s: no MIG mode change pending", name);
    }
    return rc;
}
