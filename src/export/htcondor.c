/* htcondor: node -> the ClassAd attributes condor_gpu_discovery publishes
 * (-properties -nested form: DetectedGPUs, Common=[...], GPU_<id>=[...]);
 * requirement -> submit-file lines request_GPUs and require_gpus.
 * Attribute names and the example layout: HTCondor manual, condor_gpu_discovery
 * (manpages.ubuntu.com/manpages/noble/en/man1/condor_gpu_discovery.1.html) and
 * "Jobs That Require GPUs" (require_gpus = Capability >= 7.5 && GlobalMemoryMb >= 20000).
 * DriverVersion there is the CUDA version the driver supports (12.20 = 12.2),
 * MaxSupportedVersion the same as an integer (12020); the NVIDIA driver version
 * itself is not published, so a minimum driver becomes the CUDA version whose
 * bundled driver is at least that (tighter, never looser). require_gpus is
 * evaluated per GPU, so CC and memory conditions hold per device. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/export_internal.h"
#include "gpumatch/export.h"
#include "internal.h"

/* GPU id as condor_gpu_discovery -short-uuid writes it: "GPU-" + 8 hex digits;
 * the whole UUID when short ones would collide on this node. */
static void short_id(const gm_device *d, bool full, char *buf, size_t len) {
    const char *u = d->uuid;
    if (u && !strncmp(u, "GPU-", 4) && strlen(u) >= 12)
        snprintf(buf, len, full ? "GPU-%s" : "GPU-%.8s", u + 4);
    else
        snprintf(buf, len, "CUDA%d", d->index);
}

static bool short_ids_collide(const gm_node *n) {
    char a[128], b[128];
    for (size_t i = 0; i < n->n_devices; i++)
        for (size_t k = i + 1; k < n->n_devices; k++) {
            short_id(&n->devices[i], false, a, sizeof a);
            short_id(&n->devices[k], false, b, sizeof b);
            if (!strcmp(a, b)) return true;
        }
    return false;
}

int gm_export_htcondor_node(const gm_node *n, char **out, gm_strlist *notes, gm_error *err) {
    gm_buf b = {0};
    char id[128];
    bool full = short_ids_collide(n);
    gm_buf_printf(&b, "# condor_gpu_discovery-style attributes for %s (gpumatch export --to htcondor)\n",
                  n->hostname ? n->hostname : n->instance_type ? n->instance_type : "node");
    gm_buf_printf(&b, "DetectedGPUs=");
    if (!n->n_devices) gm_buf_printf(&b, "0\n");
    for (size_t i = 0; i < n->n_devices; i++) {
        short_id(&n->devices[i], full, id, sizeof id);
        gm_buf_printf(&b, "%s%s%s", i ? ", " : "\"", id, i + 1 == n->n_devices ? "\"\n" : "");
    }
    gm_cuda_version dc;
    if (gm_node_driver_cuda(n, &dc))
        gm_buf_printf(&b, "Common=[ DriverVersion=%d.%02d; MaxSupportedVersion=%d; ]\n", dc.major,
                      dc.minor * 10, gm_cuda_version_to_int(&dc));
    for (size_t i = 0; i < n->n_devices; i++) {
        const gm_device *d = &n->devices[i];
        short_id(d, full, id, sizeof id);
        char attr[128];
        snprintf(attr, sizeof attr, "%s", id);
        for (char *p = attr; *p; p++) if (*p == '-') *p = '_';
        gm_buf_printf(&b, "%s=[ id=\"%s\";", attr, id);
        if (d->cc.major) gm_buf_printf(&b, " Capability=%d.%d;", d->cc.major, d->cc.minor);
        if (d->name) gm_buf_printf(&b, " DeviceName=\"%s\";", d->name);
        if (d->pci_bus_id) gm_buf_printf(&b, " DevicePciBusId=\"%s\";", d->pci_bus_id);
        if (d->uuid && !strncmp(d->uuid, "GPU-", 4)) gm_buf_printf(&b, " DeviceUuid=\"%s\";", d->uuid + 4);
        if (d->memory_mib >= 0) gm_buf_printf(&b, " GlobalMemoryMb=%ld;", d->memory_mib);
        gm_buf_printf(&b, " ]\n");
    }
    if (full) gm_note(&b, notes, "#", "8-digit GPU ids would collide on this node: full UUIDs used");
    *out = gm_buf_finish(&b, err);
    return *out ? 0 : GM_ENOMEM;
}

int gm_export_htcondor_req(const gm_requirement *r, char **out, gm_strlist *notes, gm_error *err) {
    gm_req_summary s;
    int rc = gm_req_summarize(r, &s, err);
    if (rc) return rc;
    gm_buf b = {0}, e = {0};
    gm_buf_printf(&b, "# HTCondor submit description lines (gpumatch export --to htcondor)\n");
    for (size_t i = 0; i < s.notes.n; i++) gm_note(&b, notes, "#", s.notes.items[i]);
    int32_t base_cuda = s.min_cuda;
    if (s.min_drv != GM_DRV_NONE) {
        int32_t c = gm_cuda_for_driver(s.min_drv);
        char a[64], cb[32], *t;
        gm_drv_int_str(s.min_drv, a, sizeof a);
        if (c == GM_NEED_NEVER) {
            t = gm_asprintf("driver >= %s is newer than gpumatch's tables: expressed as false", a);
            gm_buf_printf(&e, "false && ");
        } else {
            gm_cuda_int_str(c, cb, sizeof cb);
            t = gm_asprintf("driver >= %s expressed as MaxSupportedVersion >= %d (CUDA %s, whose "
                            "bundled driver is the first at or above it): HTCondor does not publish "
                            "the driver version", a, c, cb);
            if (c > base_cuda) base_cuda = c;
        }
        if (t) gm_note(&b, notes, "#", t);
        free(t);
    }
    if (!s.ngroups) gm_buf_printf(&e, "false");
    for (size_t g = 0; g < s.ngroups; g++) {
        const gm_cc_group *G = &s.groups[g];
        int32_t cu = G->need > base_cuda ? G->need : base_cuda;
        gm_buf t = {0};
        size_t alts = 0;
        if (G->open_above) {
            gm_buf_printf(&t, "Capability >= %d.%d", G->ccs[0].major, G->ccs[0].minor);
            alts = 1;
        } else {
            for (size_t i = 0; i < G->n;) {
                size_t j = i;
                while (j < G->n && G->ccs[j].major == G->ccs[i].major) j++;
                if (G->major_open[i] && G->major_open[j - 1]) {
                    gm_buf_printf(&t, "%s(Capability >= %d.%d && Capability < %d.0)", alts++ ? " || " : "",
                                  G->ccs[i].major, G->ccs[i].minor, G->ccs[i].major + 1);
                } else {
                    for (size_t k = i; k < j; k++)
                        gm_buf_printf(&t, "%sCapability == %d.%d", alts++ ? " || " : "",
                                      G->ccs[k].major, G->ccs[k].minor);
                }
                i = j;
            }
        }
        char *ts = gm_buf_finish(&t, NULL);
        bool wrap = alts > 1 && (cu != GM_NEED_NONE || s.ngroups > 1 || s.min_mem_mib > 0);
        bool outer = s.ngroups > 1 && (cu != GM_NEED_NONE || wrap);
        gm_buf_printf(&e, "%s%s%s%s%s", g ? " || " : "", outer ? "(" : "", wrap ? "(" : "",
                      ts ? ts : "false", wrap ? ")" : "");
        free(ts);
        if (cu != GM_NEED_NONE) gm_buf_printf(&e, " && MaxSupportedVersion >= %d", cu);
        if (outer) gm_buf_printf(&e, ")");
    }
    if (s.min_mem_mib > 0) {
        /* the alternatives above are ||-joined: keep them together */
        if (s.ngroups > 1) {
            char *cur = gm_buf_finish(&e, NULL);
            e = (gm_buf){0};
            gm_buf_printf(&e, "(%s)", cur ? cur : "false");
            free(cur);
        }
        gm_buf_printf(&e, " && GlobalMemoryMb >= %ld", s.min_mem_mib);
    }
    char *ex = gm_buf_finish(&e, err);
    if (!ex) { gm_req_summary_free(&s); free(gm_buf_finish(&b, NULL)); return GM_ENOMEM; }
    gm_buf_printf(&b, "request_GPUs = %ld\nrequire_gpus = %s\n", s.count, ex);
    free(ex);
    gm_req_summary_free(&s);
    *out = gm_buf_finish(&b, err);
    return *out ? 0 : GM_ENOMEM;
}
