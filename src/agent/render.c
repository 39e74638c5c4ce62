/* The agent's outputs as text: an NFD local-source feature file, a Prometheus
 * textfile, and the Slurm feature words.
 * NFD format (node-feature-discovery source/local/local.go, customization
 * guide "Local feature source"): one `name[=value]` per line, lines starting
 * with `#` are comments, `# +expiry-time=<RFC3339>` is a directive that applies
 * to the lines after it, files whose names start with '.' are ignored.
 * Prometheus text exposition format 0.0.4: `# HELP`, `# TYPE`, then
 * `name{label="value"} number`; label values escape \\, \" and \n. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/export_internal.h"
#include "gpumatch/agent.h"
#include "gpumatch/sys/agent.h"
#include "gpumatch/export.h"
#include "gpumatch/tables.h"
#include "internal.h"

/* Kubernetes label value: <= 63 of [A-Za-z0-9_.-], alphanumeric at both ends. */
static void k8s_value(const char *in, char *out, size_t len) {
    size_t o = 0;
    for (; in && *in && o + 1 < len && o < 63; in++) {
        char c = *in;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        out[o++] = ok ? c : '-';
    }
    while (o && !((out[o - 1] >= 'a' && out[o - 1] <= 'z') || (out[o - 1] >= 'A' && out[o - 1] <= 'Z') ||
                  (out[o - 1] >= '0' && out[o - 1] <= '9')))
        o--;
    out[o] = 0;
}

static const gm_pf_result *first_failure(const gm_pf_report *r) {
    for (size_t i = 0; r && i < r->n; i++)
        if (r->items[i].status == GM_PF_FAIL) return &r->items[i];
    return NULL;
}

/* Smallest compute capability on the node (MIG instances share their GPU's). */
static bool min_cc(const gm_node *n, gm_cc *out) {
    bool have = false;
    for (size_t i = 0; i < n->n_devices; i++) {
        const gm_cc *c = &n->devices[i].cc;
        if (!c->major) continue;
        if (!have || gm_cc_cmp(c, out) < 0) *out = *c;
        have = true;
    }
    return have;
}

char *gm_agent_nfd_text(const gm_node *n, const gm_pf_report *report, const char *label_ns,
                        time_t expiry, gm_error *err) {
    const char *ns = label_ns && *label_ns ? label_ns : "gpumatch.io";
    char *gfd = NULL;
    if (gm_export_k8s_node(n, &gfd, NULL, err) < 0) return NULL;
    gm_buf b = {0};
    struct tm tm;
    char ts[40];
    gmtime_r(&expiry, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    /* The directive comes first: NFD applies it to the lines that follow. */
    gm_buf_printf(&b, "# +expiry-time=%s\n", ts);
    gm_buf_printf(&b, "# written by gpumatch agent; labels vanish after the expiry time if the "
                      "agent stops\n");
    /* The export's own lines, minus its comments (one header is enough). */
    for (const char *p = gfd; *p;) {
        const char *e = strchr(p, '\n');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l && p[0] != '#') gm_buf_printf(&b, "%.*s\n", (int)l, p);
        p += l + (e ? 1 : 0);
    }
    free(gfd);
    const gm_pf_result *f = first_failure(report);
    char v[96];
    gm_buf_printf(&b, "%s/gpu.healthy=%s\n", ns, f ? "false" : "true");
    if (f) {
        k8s_value(f->id, v, sizeof v);
        gm_buf_printf(&b, "%s/gpu.failed-check=%s\n", ns, v);
    }
    gm_cc cc;
    if (min_cc(n, &cc)) {
        gm_buf_printf(&b, "%s/gpu.compute.min=%d.%d\n", ns, cc.major, cc.minor);
        gm_buf_printf(&b, "%s/gpu.sm.min=%d\n", ns, gm_cc_to_sm(&cc));
    }
    gm_cuda_version dc, isa;
    if (gm_node_driver_cuda(n, &dc)) {
        gm_buf_printf(&b, "%s/cuda.driver-version=%d.%d\n", ns, dc.major, dc.minor);
        gm_buf_printf(&b, "%s/cuda.driver-version.code=%d\n", ns, gm_cuda_version_to_int(&dc));
        /* The newest PTX ISA the driver's JIT compiles (from the tables). */
        if (gm_cuda_max_ptx(&dc, &isa)) {
            gm_buf_printf(&b, "%s/ptx-isa.max=%d.%d\n", ns, isa.major, isa.minor);
            gm_buf_printf(&b, "%s/ptx-isa.max.code=%d\n", ns, isa.major * 10 + isa.minor);
        }
    }
    return gm_buf_finish(&b, err);
}

static void prom_escape(gm_buf *b, const char *s) {
    for (; s && *s; s++) {
        if (*s == '\\') gm_buf_printf(b, "\\\\");
        else if (*s == '"') gm_buf_printf(b, "\\\"");
        else if (*s == '\n') gm_buf_printf(b, "\\n");
        else gm_buf_printf(b, "%c", *s);
    }
}

static void prom_head(gm_buf *b, const char *name, const char *help) {
    gm_buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

char *gm_agent_prom_text(const gm_node *n, const gm_pf_report *report, bool probe_ok,
                         time_t last_ok, gm_error *err) {
    gm_buf b = {0};
    char v1[GM_VERSION_STR_MAX], v2[GM_VERSION_STR_MAX];
    prom_head(&b, "gpumatch_probe_success", "1 if the last probe of the driver and GPUs succeeded.");
    gm_buf_printf(&b, "gpumatch_probe_success %d\n", probe_ok ? 1 : 0);
    if (last_ok > 0) {
        prom_head(&b, "gpumatch_last_successful_probe_timestamp_seconds",
                  "Unix time of the last successful probe.");
        gm_buf_printf(&b, "gpumatch_last_successful_probe_timestamp_seconds %lld\n",
                      (long long)last_ok);
    }
    if (n) {
        prom_head(&b, "gpumatch_driver_info", "NVIDIA driver version and the CUDA version it supports.");
        gm_cuda_version dc;
        bool hc = gm_node_driver_cuda(n, &dc);
        gm_buf_printf(&b, "gpumatch_driver_info{version=\"%s\",cuda=\"%s\"} 1\n",
                      gm_driver_version_is_set(&n->driver) ? gm_driver_version_str(&n->driver, v1) : "",
                      hc ? gm_cuda_version_str(&dc, v2) : "");
        prom_head(&b, "gpumatch_gpu_count", "GPUs found by the probe.");
        gm_buf_printf(&b, "gpumatch_gpu_count %zu\n", n->n_devices);
        if (n->n_devices) {
            prom_head(&b, "gpumatch_gpu_info", "One series per GPU.");
            for (size_t i = 0; i < n->n_devices; i++) {
                const gm_device *d = &n->devices[i];
                gm_buf_printf(&b, "gpumatch_gpu_info{index=\"%d\",uuid=\"", d->index);
                prom_escape(&b, d->uuid ? d->uuid : "");
                gm_buf_printf(&b, "\",name=\"");
                prom_escape(&b, d->name ? d->name : "");
                gm_buf_printf(&b, "\",compute_capability=\"%s\",pci_bus_id=\"",
                              d->cc.major ? gm_cc_str(&d->cc, v1) : "");
                prom_escape(&b, d->pci_bus_id ? d->pci_bus_id : "");
                gm_buf_printf(&b, "\",mig=\"%s\"} 1\n", gm_mig_mode_str(d->mig_mode));
            }
            prom_head(&b, "gpumatch_gpu_memory_bytes", "Framebuffer memory per GPU.");
            for (size_t i = 0; i < n->n_devices; i++)
                if (n->devices[i].memory_mib >= 0)
                    gm_buf_printf(&b, "gpumatch_gpu_memory_bytes{index=\"%d\"} %lld\n",
                                  n->devices[i].index, (long long)n->devices[i].memory_mib << 20);
            bool any_mig = false;
            for (size_t i = 0; i < n->n_devices; i++) any_mig |= n->devices[i].n_mig > 0;
            if (any_mig) {
                prom_head(&b, "gpumatch_mig_instance_info", "One series per MIG instance.");
                for (size_t i = 0; i < n->n_devices; i++)
                    for (size_t k = 0; k < n->devices[i].n_mig; k++) {
                        const gm_mig_instance *m = &n->devices[i].mig[k];
                        gm_buf_printf(&b, "gpumatch_mig_instance_info{gpu=\"%d\",uuid=\"",
                                      n->devices[i].index);
                        prom_escape(&b, m->uuid ? m->uuid : "");
                        gm_buf_printf(&b, "\",profile=\"");
                        prom_escape(&b, m->profile ? m->profile : "");
                        gm_buf_printf(&b, "\",gi=\"%d\",ci=\"%d\"} 1\n", m->gi, m->ci);
                    }
            }
        }
    }
    if (report) {
        prom_head(&b, "gpumatch_node_healthy", "1 if no preflight check failed.");
        gm_buf_printf(&b, "gpumatch_node_healthy %d\n", first_failure(report) ? 0 : 1);
        prom_head(&b, "gpumatch_preflight_check_ok",
                  "One per preflight check: 0 if it failed, 1 otherwise (status label: ok, warn, skip, fail).");
        for (size_t i = 0; i < report->n; i++) {
            const gm_pf_result *r = &report->items[i];
            /* a check may report the same subject twice: keep series unique */
            size_t dup = 0;
            for (size_t k = 0; k < i; k++)
                dup += !strcmp(report->items[k].id, r->id) &&
                       !strcmp(report->items[k].subject ? report->items[k].subject : "",
                               r->subject ? r->subject : "");
            gm_buf_printf(&b, "gpumatch_preflight_check_ok{check=\"");
            prom_escape(&b, r->id);
            gm_buf_printf(&b, "\",subject=\"");
            prom_escape(&b, r->subject ? r->subject : "");
            if (dup) gm_buf_printf(&b, "#%zu", dup + 1);
            gm_buf_printf(&b, "\",status=\"%s\"} %d\n", gm_pf_status_str(r->status),
                          r->status == GM_PF_FAIL ? 0 : 1);
        }
    }
    return gm_buf_finish(&b, err);
}

char *gm_agent_slurm_features(const gm_node *n, gm_error *err) {
    char *text = NULL;
    if (gm_export_slurm_node(n, &text, NULL, err) < 0) return NULL;
    char *f = strstr(text, " Features=");
    char *out = NULL;
    if (f) {
        f += strlen(" Features=");
        out = gm_strndup(f, strcspn(f, " \n"));
    }
    free(text);
    if (!out) gm_error_set(err, GM_ENOMEM, "slurm export has no Features=");
    return out;
}
