/* condor_gpu_discovery -properties output shape, from the HTCondor manual
 * (condor_gpu_discovery: -nested is the default, -not-nested prefixes shared
 * values with CUDA and the others with the GPU id; ids are "GPU-" + the first
 * 8 hex digits of the UUID; MIG instances are reported as devices, named by
 * their long MIG UUID) and the sample outputs in HTCondor's
 * src/condor_gpu_discovery sources:
 *   DetectedGPUs="GPU-c4a646d7, GPU-6a96bd13"
 *   CUDADriverVersion=11.20
 *   CUDAMaxSupportedVersion=11020
 *   GPU_6a96bd13Capability=7.5 ...
 * and the nested form
 *   Common=[ DriverVersion=11.40; MaxSupportedVersion=11040; ]
 *   GPU_5368a050=[ id="GPU-5368a050"; Capability=8.0; ... ]
 *   MIG_0caf1ce3_...=[ id="MIG-0caf1ce3-..."; DeviceUuid="MIG-..."; GlobalMemoryMb=20086; ]
 * DriverVersion is the CUDA version the driver supports (11.20 = 11.2).
 * Beyond condor's MIG ads, gpumatch also gives MIG instances Capability and
 * DeviceName (known from the parent), so require_gpus on Capability works. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/export_internal.h"
#include "gpumatch/condor_discovery.h"
#include "internal.h"

#define NPROP 5
static const char *const prop_name[NPROP] = {"Capability", "DeviceName", "DevicePciBusId",
                                             "DeviceUuid", "GlobalMemoryMb"};

typedef struct {
    char id[128];
    char *val[NPROP]; /* ClassAd literal text, NULL when unknown */
} unit;

static char *quoted(const char *s) {
    gm_buf b = {0};
    gm_buf_printf(&b, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') gm_buf_printf(&b, "\\%c", *s);
        else if ((unsigned char)*s >= 0x20) gm_buf_printf(&b, "%c", *s);
    }
    gm_buf_printf(&b, "\"");
    return gm_buf_finish(&b, NULL);
}

static void attr_of(const char *id, char *buf, size_t len) {
    snprintf(buf, len, "%s", id);
    for (char *p = buf; *p; p++)
        if (*p == '-') *p = '_';
}

static bool short_collide(const gm_node *n) {
    for (size_t i = 0; i < n->n_devices; i++)
        for (size_t k = i + 1; k < n->n_devices; k++) {
            const char *a = n->devices[i].uuid, *b = n->devices[k].uuid;
            if (a && b && strlen(a) >= 12 && strlen(b) >= 12 && !strncmp(a, b, 12)) return true;
        }
    return false;
}

int gm_condor_discovery(const gm_node *n, bool nested, char **out, gm_error *err) {
    size_t cap = 0;
    for (size_t i = 0; i < n->n_devices; i++)
        cap += n->devices[i].mig_mode == GM_MIG_ENABLED ? n->devices[i].n_mig : 1;
    unit *u = gm_xcalloc(cap ? cap : 1, sizeof *u);
    if (!u) return gm_error_set(err, GM_ENOMEM, "out of memory");
    bool full = short_collide(n);
    size_t nu = 0;
    char v[GM_VERSION_STR_MAX];
    for (size_t i = 0; i < n->n_devices; i++) {
        const gm_device *d = &n->devices[i];
        const char *cc = d->cc.major ? gm_cc_str(&d->cc, v) : NULL;
        if (d->mig_mode == GM_MIG_ENABLED) {
            /* the parent of MIG instances is not a device jobs can use */
            for (size_t k = 0; k < d->n_mig; k++) {
                const gm_mig_instance *m = &d->mig[k];
                unit *x = &u[nu++];
                snprintf(x->id, sizeof x->id, "%s", m->uuid ? m->uuid : "MIG");
                if (cc) x->val[0] = gm_strdup(cc);
                if (d->name && m->profile) {
                    char *nm = gm_asprintf("%s MIG %s", d->name, m->profile);
                    x->val[1] = nm ? quoted(nm) : NULL;
                    free(nm);
                }
                if (m->uuid) x->val[3] = quoted(m->uuid);
                if (m->memory_mib >= 0) x->val[4] = gm_asprintf("%ld", m->memory_mib);
            }
            continue;
        }
        unit *x = &u[nu++];
        if (d->uuid && !strncmp(d->uuid, "GPU-", 4) && strlen(d->uuid) >= 12)
            snprintf(x->id, sizeof x->id, full ? "%s" : "%.12s", d->uuid);
        else
            snprintf(x->id, sizeof x->id, "CUDA%d", d->index);
        if (cc) x->val[0] = gm_strdup(cc);
        if (d->name) x->val[1] = quoted(d->name);
        if (d->pci_bus_id) x->val[2] = quoted(d->pci_bus_id);
        /* nested ads carry NVML's "GPU-..." form, the flat form the bare UUID */
        if (d->uuid) x->val[3] = quoted(nested || strncmp(d->uuid, "GPU-", 4) ? d->uuid : d->uuid + 4);
        if (d->memory_mib >= 0) x->val[4] = gm_asprintf("%ld", d->memory_mib);
    }
    /* A property is common when every device has it with the same value. */
    bool common[NPROP];
    for (int p = 0; p < NPROP; p++) {
        common[p] = nu > 0;
        for (size_t k = 0; k < nu && common[p]; k++)
            common[p] = u[k].val[p] && !strcmp(u[k].val[p], u[0].val[p]);
    }
    gm_buf b = {0};
    gm_buf_printf(&b, "DetectedGPUs=");
    if (!nu) gm_buf_printf(&b, "0\n");
    for (size_t k = 0; k < nu; k++) gm_buf_printf(&b, "%s%s%s", k ? ", " : "\"", u[k].id, k + 1 == nu ? "\"\n" : "");
    gm_cuda_version dc;
    bool hc = nu && gm_node_driver_cuda(n, &dc);
    char drv[32] = "", maxv[32] = "";
    if (hc) {
        snprintf(drv, sizeof drv, "%d.%02d", dc.major, dc.minor * 10);
        snprintf(maxv, sizeof maxv, "%d", gm_cuda_version_to_int(&dc));
    }
    /* Common attributes in name order: Capability, DeviceName, ..., DriverVersion, ... */
    const char *cn[NPROP + 2];
    const char *cv[NPROP + 2];
    size_t nc = 0;
    for (int p = 0; p < NPROP; p++) {
        if (common[p]) cn[nc] = prop_name[p], cv[nc++] = u[0].val[p];
    }
    if (hc) {
        cn[nc] = "DriverVersion", cv[nc++] = drv;
        cn[nc] = "MaxSupportedVersion", cv[nc++] = maxv;
    }
    for (size_t i = 1; i < nc; i++) /* insertion sort by name */
        for (size_t k = i; k > 0 && strcmp(cn[k - 1], cn[k]) > 0; k--) {
            const char *t = cn[k]; cn[k] = cn[k - 1]; cn[k - 1] = t;
            t = cv[k]; cv[k] = cv[k - 1]; cv[k - 1] = t;
        }
    char attr[160];
    if (nested) {
        if (nc) {
            gm_buf_printf(&b, "Common=[");
            for (size_t i = 0; i < nc; i++) gm_buf_printf(&b, " %s=%s;", cn[i], cv[i]);
            gm_buf_printf(&b, " ]\n");
        }
        for (size_t k = 0; k < nu; k++) {
            attr_of(u[k].id, attr, sizeof attr);
            gm_buf_printf(&b, "%s=[ id=\"%s\";", attr, u[k].id);
            for (int p = 0; p < NPROP; p++)
                if (!common[p] && u[k].val[p]) gm_buf_printf(&b, " %s=%s;", prop_name[p], u[k].val[p]);
            gm_buf_printf(&b, " ]\n");
        }
    } else {
        for (size_t i = 0; i < nc; i++) gm_buf_printf(&b, "CUDA%s=%s\n", cn[i], cv[i]);
        /* per-device attributes sorted by device attribute name, as condor prints them */
        size_t *ord = gm_xcalloc(nu ? nu : 1, sizeof *ord);
        for (size_t k = 0; ord && k < nu; k++) ord[k] = k;
        for (size_t i = 1; ord && i < nu; i++)
            for (size_t k = i; k > 0 && strcmp(u[ord[k - 1]].id, u[ord[k]].id) > 0; k--) {
                size_t t = ord[k]; ord[k] = ord[k - 1]; ord[k - 1] = t;
            }
        for (size_t j = 0; ord && j < nu; j++) {
            const unit *x = &u[ord[j]];
            attr_of(x->id, attr, sizeof attr);
            for (int p = 0; p < NPROP; p++)
                if (!common[p] && x->val[p]) gm_buf_printf(&b, "%s%s=%s\n", attr, prop_name[p], x->val[p]);
        }
        if (!ord) b.oom = true;
        free(ord);
    }
    for (size_t k = 0; k < nu; k++)
        for (int p = 0; p < NPROP; p++) free(u[k].val[p]);
    free(u);
    *out = gm_buf_finish(&b, err);
    return *out ? 0 : GM_ENOMEM;
}
