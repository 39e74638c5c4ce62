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
#include "export/units.h"
#include "gpumatch/export.h"
#include "internal.h"

/* Unit id as condor_gpu_discovery -short-uuid writes it: "GPU-" + 8 hex
 * digits, MIG instances "MIG-" + 8; the whole UUID when short ones would
 * collide on this node. */
static void unit_id(const gm_xunit *u, bool full, char *buf, size_t len) {
    const char *id = u->m ? u->m->uuid : u->d->uuid;
    const char *pre = u->m ? "MIG-" : "GPU-";
    if (id && !strncmp(id, pre, 4) && strlen(id) >= 12)
        snprintf(buf, len, full ? "%.4s%s" : "%.4s%.8s", pre, id + 4);
    else if (u->m)
        snprintf(buf, len, "MIG%d-%d-%d", u->d->index, u->m->gi, u->m->ci);
    else
        snprintf(buf, len, "CUDA%d", u->d->index);
}

static bool ids_collide(const gm_xunit *u, size_t n) {
    char a[128], b[128];
    for (size_t i = 0; i < n; i++)
        for (size_t k = i + 1; k < n; k++) {
            unit_id(&u[i], false, a, sizeof a);
            unit_id(&u[k], false, b, sizeof b);
            if (!strcmp(a, b)) return true;
        }
    return false;
}

static void classad_str(gm_buf *b, const char *s) {
    gm_buf_printf(b, "\"");
    for (; *s; s++)
        gm_buf_printf(b, "%s%c", (*s == '"' || *s == '\\') ? "\\" : "", *s);
    gm_buf_printf(b, "\"");
}

int gm_export_htcondor_node(const gm_node *n, char **out, gm_strlist *notes, gm_error *err) {
    gm_buf b = {0};
    char id[128];
    gm_xunit *u;
    size_t nu;
    if (gm_xunits(n, &u, &nu) < 0) return gm_error_set(err, GM_ENOMEM, "out of memory");
    bool full = ids_collide(u, nu);
    gm_buf_printf(&b, "# condor_gpu_discovery-style attributes for %s (gpumatch export --to htcondor)\n",
                  n->hostname ? n->hostname : n->instance_type ? n->instance_type : "node");
    gm_buf_printf(&b, "DetectedGPUs=");
    if (!nu) gm_buf_printf(&b, "0\n");
    for (size_t i = 0; i < nu; i++) {
        unit_id(&u[i], full, id, sizeof id);
        gm_buf_printf(&b, "%s%s%s", i ? ", " : "\"", id, i + 1 == nu ? "\"\n" : "");
    }
    gm_cuda_version dc;
    bool has_dc = gm_node_driver_cuda(n, &dc);
    char v[GM_VERSION_STR_MAX];
    if (has_dc || gm_driver_version_is_set(&n->driver)) {
        gm_buf_printf(&b, "Common=[");
        if (has_dc)
            gm_buf_printf(&b, " DriverVersion=%d.%02d; MaxSupportedVersion=%d;", dc.major,
                          dc.minor * 10, gm_cuda_version_to_int(&dc));
        /* HTCondor 24.5+: the NVIDIA driver version itself */
        if (gm_driver_version_is_set(&n->driver))
            gm_buf_printf(&b, " NvidiaDriver=\"%s\";", gm_driver_version_str(&n->driver, v));
        gm_buf_printf(&b, " ]\n");
    }
    for (size_t i = 0; i < nu; i++) {
        const gm_device *d = u[i].d;
        const gm_mig_instance *m = u[i].m;
        unit_id(&u[i], full, id, sizeof id);
        char attr[128], bus[64];
        snprintf(attr, sizeof attr, "%s", id);
        for (char *p = attr; *p; p++) if (*p == '-') *p = '_';
        gm_buf_printf(&b, "%s=[ id=\"%s\";", attr, id);
        if (d->cc.major) gm_buf_printf(&b, " Capability=%d.%d;", d->cc.major, d->cc.minor);
        if (d->name) {
            gm_buf_printf(&b, " DeviceName=");
            if (m && m->profile) {
                char *nm = gm_asprintf("%s MIG %s", d->name, m->profile);
                classad_str(&b, nm ? nm : d->name);
                free(nm);
            } else {
                classad_str(&b, d->name);
            }
            gm_buf_printf(&b, ";");
        }
        if (d->pci_bus_id) {
            gm_busid_short(d->pci_bus_id, false, bus, sizeof bus); /* CUDA's 4-digit domain */
            gm_buf_printf(&b, " DevicePciBusId=");
            classad_str(&b, bus);
            gm_buf_printf(&b, ";");
        }
        if (m && m->uuid) {
            gm_buf_printf(&b, " DeviceUuid=");
            classad_str(&b, m->uuid);
            gm_buf_printf(&b, ";");
        } else if (!m && d->uuid && !strncmp(d->uuid, "GPU-", 4)) {
            gm_buf_printf(&b, " DeviceUuid=");
            classad_str(&b, d->uuid + 4);
            gm_buf_printf(&b, ";");
        }
        if (gm_xunit_mem(&u[i]) >= 0) gm_buf_printf(&b, " GlobalMemoryMb=%ld;", gm_xunit_mem(&u[i]));
        gm_buf_printf(&b, " ]\n");
    }
    for (size_t i = 0; i < n->n_devices; i++)
        if (gm_dev_is_mig(&n->devices[i])) {
            gm_note(&b, notes, "#", "GPUs in MIG mode are published as their MIG instances, the "
                                    "parent not (as condor_gpu_discovery does)");
            break;
        }
    if (full) gm_note(&b, notes, "#", "8-digit GPU ids would collide on this node: full UUIDs used");
    free(u);
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
        /* NvidiaDriver (HTCondor 24.5+) compared as a version; a startd that
         * does not publish it makes the term undefined: no match (stricter) */
        char a[64];
        gm_drv_int_str(s.min_drv, a, sizeof a);
        gm_buf_printf(&e, "versionGE(NvidiaDriver, \"%s\") && ", a);
        gm_note(&b, notes, "#", "the driver minimum uses NvidiaDriver, published by HTCondor 24.5 "
                                "and later; older startds match no GPU (stricter)");
    }
    if (!gm_core_unit_usable(true, s.count)) { /* the core's MIG rule */
        /* CUDA enumerates one MIG device per process: N > 1 GPUs must be whole */
        gm_buf_printf(&e, "!regexp(\"^MIG-\", id) && ");
        gm_note(&b, notes, "#", "more than one GPU: MIG instances are excluded (a CUDA process "
                                "sees only one MIG device)");
    }
    bool paren = s.ngroups > 1 || s.min_drv != GM_DRV_NONE || s.count > 1;
    if (paren && s.ngroups > 1) gm_buf_printf(&e, "(");
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
        bool wrap = alts > 1 && (cu != GM_NEED_NONE || s.ngroups > 1 || s.min_mem_mib > 0 || paren);
        bool outer = s.ngroups > 1 && (cu != GM_NEED_NONE || wrap);
        gm_buf_printf(&e, "%s%s%s%s%s", g ? " || " : "", outer ? "(" : "", wrap ? "(" : "",
                      ts ? ts : "false", wrap ? ")" : "");
        free(ts);
        if (cu != GM_NEED_NONE) gm_buf_printf(&e, " && MaxSupportedVersion >= %d", cu);
        if (outer) gm_buf_printf(&e, ")");
    }
    if (paren && s.ngroups > 1) gm_buf_printf(&e, ")");
    if (s.min_mem_mib > 0) {
        /* the alternatives above are ||-joined: keep them together */
        if (s.ngroups > 1 && !paren) {
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
