/* The node agent's state: the last good node and report, what each output
 * last received, and which failures have been logged (one line per change). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export/export_internal.h"
#include "gpumatch/agent.h"
#include "gpumatch/sys/agent.h"
#include "internal.h"

enum { OUT_NFD, OUT_PROM, OUT_SLURM, OUT_N };
static const char *const out_name[OUT_N] = {"NFD feature file", "Prometheus textfile", "Slurm features"};

struct gm_agent {
    gm_agent_opts o;
    char *root, *nfd, *prom, *slurm, *scontrol, *ns, *backend, *nvml, *cuda, *smi_cmd;
    bool have_good;
    gm_node good;
    gm_pf_report good_rep;
    time_t last_ok;
    char *state;          /* one-line summary of the last logged state */
    char *probe_fail;     /* message of the current probe failure, NULL when probing works */
    char *nfd_body;       /* last NFD labels written (without the expiry line) */
    time_t nfd_written;
    char *out_fail[OUT_N]; /* current failure per output */
};

static void set_str(char **slot, const char *v) {
    free(*slot);
    *slot = v ? gm_strdup(v) : NULL;
}

int gm_agent_new(const gm_agent_opts *opts, gm_agent **out, gm_error *err) {
    gm_agent *a = gm_xcalloc(1, sizeof *a);
    if (!a) return gm_error_set(err, GM_ENOMEM, "out of memory");
    a->o = *opts;
    /* Own copies: the caller's strings may come from a config buffer. */
    a->o.root = a->root = gm_strdup(opts->root);
    a->o.nfd_file = a->nfd = gm_strdup(opts->nfd_file);
    a->o.prom_file = a->prom = gm_strdup(opts->prom_file);
    a->o.slurm_node = a->slurm = gm_strdup(opts->slurm_node);
    a->o.scontrol = a->scontrol = gm_strdup(opts->scontrol ? opts->scontrol : "scontrol");
    a->o.label_ns = a->ns = gm_strdup(opts->label_ns ? opts->label_ns : "gpumatch.io");
    a->o.probe.backend = a->backend = gm_strdup(opts->probe.backend);
    a->o.probe.nvml_lib = a->nvml = gm_strdup(opts->probe.nvml_lib);
    a->o.probe.cuda_lib = a->cuda = gm_strdup(opts->probe.cuda_lib);
    a->o.probe.smi_cmd = a->smi_cmd = gm_strdup(opts->probe.smi_cmd);
    if (a->o.expiry_s <= 0) a->o.expiry_s = 300;
    if (!a->scontrol || !a->ns) {
        gm_agent_free(a);
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    }
    gm_node_init(&a->good);
    *out = a;
    return 0;
}

void gm_agent_free(gm_agent *a) {
    if (!a) return;
    free(a->root), free(a->nfd), free(a->prom), free(a->slurm), free(a->scontrol), free(a->ns);
    free(a->backend), free(a->nvml), free(a->cuda), free(a->smi_cmd);
    gm_node_free(&a->good);
    gm_pf_report_free(&a->good_rep);
    free(a->state), free(a->probe_fail), free(a->nfd_body);
    for (int i = 0; i < OUT_N; i++) free(a->out_fail[i]);
    free(a);
}

/* "driver 550.54.15 (CUDA 12.4), 1 GPU(s) [8.0], healthy" */
static char *summary(const gm_node *n, const gm_pf_report *r) {
    gm_buf b = {0};
    char v[GM_VERSION_STR_MAX];
    gm_cuda_version dc;
    gm_buf_printf(&b, "driver %s", gm_driver_version_is_set(&n->driver) ? gm_driver_version_str(&n->driver, v) : "?");
    if (gm_node_driver_cuda(n, &dc)) gm_buf_printf(&b, " (CUDA %s)", gm_cuda_version_str(&dc, v));
    gm_buf_printf(&b, ", %zu GPU(s)", n->n_devices);
    size_t nmig = 0;
    for (size_t i = 0; i < n->n_devices; i++) {
        gm_buf_printf(&b, "%s%s", i ? " " : " [", n->devices[i].uuid ? n->devices[i].uuid : "?");
        if (n->devices[i].cc.major) gm_buf_printf(&b, " cc %s", gm_cc_str(&n->devices[i].cc, v));
        nmig += n->devices[i].n_mig;
        if (i + 1 == n->n_devices) gm_buf_printf(&b, "]");
    }
    if (nmig) gm_buf_printf(&b, ", %zu MIG instance(s)", nmig);
    char *f = gm_pf_report_failures(r);
    gm_buf_printf(&b, ", %s%s", f ? "unhealthy: " : "healthy", f ? f : "");
    free(f);
    return gm_buf_finish(&b, NULL);
}

/* Logs a failure of output i once; a recovery once. */
static void out_status(gm_agent *a, int i, const char *fail, gm_strlist *log) {
    if (fail && (!a->out_fail[i] || strcmp(a->out_fail[i], fail)))
        gm_strlist_addf(log, "%s: %s (will retry)", out_name[i], fail);
    else if (!fail && a->out_fail[i])
        gm_strlist_addf(log, "%s: written again", out_name[i]);
    set_str(&a->out_fail[i], fail);
}

static int write_nfd(gm_agent *a, const gm_node *n, const gm_pf_report *r, time_t now,
                     gm_strlist *log) {
    gm_error e = {0};
    /* Labels compared without the expiry line; rewrite before half the expiry passes. */
    char *text = gm_agent_nfd_text(n, r, a->ns, now + a->o.expiry_s, &e);
    if (!text) {
        out_status(a, OUT_NFD, e.msg, log);
        return GM_ENOMEM;
    }
    const char *body = strchr(text, '\n');
    body = body ? body + 1 : text;
    bool fresh = a->nfd_body && !strcmp(a->nfd_body, body) && !a->out_fail[OUT_NFD] &&
                 now - a->nfd_written < a->o.expiry_s / 2;
    int rc = 0;
    if (!fresh) {
        if (gm_agent_write_atomic(a->nfd, text, strlen(text), &e) < 0) {
            out_status(a, OUT_NFD, e.msg, log);
            rc = GM_EIO;
        } else {
            set_str(&a->nfd_body, body);
            a->nfd_written = now;
            out_status(a, OUT_NFD, NULL, log);
        }
    }
    free(text);
    return rc;
}

static int write_prom(gm_agent *a, const gm_node *n, const gm_pf_report *r, bool ok,
                      gm_strlist *log) {
    gm_error e = {0};
    char *text = gm_agent_prom_text(n, r, ok, a->last_ok, &e);
    int rc = 0;
    if (!text || gm_agent_write_atomic(a->prom, text, strlen(text), &e) < 0) {
        out_status(a, OUT_PROM, e.msg, log);
        rc = GM_EIO;
    } else {
        out_status(a, OUT_PROM, NULL, log);
    }
    free(text);
    return rc;
}

/* Keeps AvailableFeatures and ActiveFeatures equal to the node's words. */
static int sync_slurm(gm_agent *a, const gm_node *n, gm_strlist *log) {
    gm_error e = {0};
    char *want = gm_agent_slurm_features(n, &e);
    if (!want) {
        out_status(a, OUT_SLURM, e.msg, log);
        return GM_ENOMEM;
    }
    char *show = NULL, fail[GM_ERROR_MSG_MAX + 128] = "";
    char *sargv[] = {a->scontrol, "show", "node", a->slurm, "-o", NULL};
    int rc = gm_agent_run(sargv, &show, &e);
    char avail[8192] = "", active[8192] = "";
    if (rc < 0) {
        snprintf(fail, sizeof fail, "%s", e.msg);
    } else if (rc != 0) {
        snprintf(fail, sizeof fail, "scontrol show node %s: %.200s", a->slurm, show ? show : "");
    } else {
        gm_slurm_node_field(show, "AvailableFeatures", avail, sizeof avail);
        gm_slurm_node_field(show, "ActiveFeatures", active, sizeof active);
        if (strcmp(avail, want) || strcmp(active, want)) {
            char *av = gm_asprintf("AvailableFeatures=%s", want), *ac = gm_asprintf("ActiveFeatures=%s", want);
            char *nn = gm_asprintf("NodeName=%s", a->slurm);
            char *uargv[] = {a->scontrol, "update", nn, av, ac, NULL};
            char *uout = NULL;
            int urc = av && ac && nn ? gm_agent_run(uargv, &uout, &e) : GM_ENOMEM;
            if (urc < 0)
                snprintf(fail, sizeof fail, "%s", e.msg);
            else if (urc != 0)
                snprintf(fail, sizeof fail, "scontrol update %s: %.200s", nn, uout ? uout : "");
            else
                gm_strlist_addf(log, "Slurm node %s: features set to %s", a->slurm, want);
            free(uout), free(av), free(ac), free(nn);
        }
    }
    free(show);
    free(want);
    if (fail[0]) {
        fail[strcspn(fail, "\n")] = 0;
        out_status(a, OUT_SLURM, fail, log);
        return GM_EIO;
    }
    out_status(a, OUT_SLURM, NULL, log);
    return 0;
}

static int node_copy(const gm_node *src, gm_node *dst) {
    /* Through the JSON form: the node document is the one serialisation. */
    gm_error e = {0};
    char *j = gm_node_to_json(src, &e);
    if (!j) return GM_ENOMEM;
    gm_node_list l = {0};
    int rc = gm_node_list_parse(j, strlen(j), "agent", &l, &e);
    free(j);
    if (rc < 0 || l.n != 1) {
        gm_node_list_free(&l);
        return rc < 0 ? rc : GM_EINVAL;
    }
    gm_node_free(dst);
    *dst = l.nodes[0];
    free(l.nodes);
    return 0;
}

int gm_agent_step(gm_agent *a, time_t now, gm_strlist *log, gm_error *err) {
    gm_node n;
    gm_node_init(&n);
    gm_error pe = {0};
    int prc = gm_probe_ex(&a->o.probe, &n, NULL, NULL, &pe);
    if (prc < 0) {
        gm_node_free(&n);
        if (!a->probe_fail || strcmp(a->probe_fail, pe.msg))
            gm_strlist_addf(log, "probe failed: %s; keeping the last good state%s", pe.msg,
                            a->have_good ? "" : " (none yet)");
        set_str(&a->probe_fail, pe.msg);
        /* NFD labels and Slurm features stay as they were (NFD drops them at
         * the expiry time if this lasts); Prometheus learns of the failure. */
        if (a->prom)
            write_prom(a, a->have_good ? &a->good : NULL, a->have_good ? &a->good_rep : NULL, false, log);
        gm_error_set(err, prc, "%s", pe.msg);
        return prc;
    }
    if (a->probe_fail) gm_strlist_addf(log, "probe works again");
    set_str(&a->probe_fail, NULL);

    gm_pf_opts po;
    memset(&po, 0, sizeof po);
    po.root = a->root;
    po.node = &n;
    gm_pf_report rep;
    memset(&rep, 0, sizeof rep);
    int rc = gm_preflight_run(&po, &rep, err);
    if (rc < 0) {
        gm_node_free(&n);
        gm_pf_report_free(&rep);
        return rc;
    }
    a->last_ok = now;
    char *s = summary(&n, &rep);
    if (s && (!a->state || strcmp(a->state, s)))
        gm_strlist_addf(log, "%s%s", a->state ? "now: " : "started: ", s);
    if (s) set_str(&a->state, s);
    free(s);

    int worst = 0;
    if (a->nfd && write_nfd(a, &n, &rep, now, log) < 0) worst = GM_EIO;
    if (a->prom && write_prom(a, &n, &rep, true, log) < 0) worst = GM_EIO;
    if (a->slurm && sync_slurm(a, &n, log) < 0) worst = GM_EIO;

    if (node_copy(&n, &a->good) == 0) {
        gm_pf_report_free(&a->good_rep);
        a->good_rep = rep;
        a->have_good = true;
    } else {
        gm_pf_report_free(&rep);
    }
    gm_node_free(&n);
    if (worst) {
        gm_error_set(err, worst, "an output could not be updated");
        return worst;
    }
    return 0;
}

/* ---- change fingerprint ---- */

static void fp_file(gm_buf *b, const char *path, bool content) {
    struct stat st;
    if (stat(path, &st) < 0) {
        gm_buf_printf(b, "%s:-\n", path);
        return;
    }
    gm_buf_printf(b, "%s:%llu:%lld:%lld\n", path, (unsigned long long)st.st_ino,
                  (long long)st.st_size, (long long)st.st_mtime);
    if (content) {
        char *t = NULL;
        size_t len = 0;
        gm_error e = {0};
        if (gm_read_file(path, 1 << 16, &t, &len, &e) == 0) gm_buf_printf(b, "%s\n", t);
        free(t);
    }
}

static void fp_dir(gm_buf *b, const char *dir, const char *prefix, int depth) {
    DIR *d = opendir(dir);
    if (!d) {
        gm_buf_printf(b, "%s/-\n", dir);
        return;
    }
    /* readdir order is stable for an unchanged directory */
    struct dirent *de;
    size_t seen = 0;
    while ((de = readdir(d)) && seen++ < 4096) {
        if (de->d_name[0] == '.') continue;
        if (prefix && strncmp(de->d_name, prefix, strlen(prefix))) continue;
        gm_buf_printf(b, "%s/%s\n", dir, de->d_name);
        if (depth > 0 && de->d_type == DT_DIR) {
            char *sub = gm_asprintf("%s/%s", dir, de->d_name);
            if (sub) fp_dir(b, sub, NULL, depth - 1);
            free(sub);
        }
    }
    closedir(d);
}

char *gm_agent_fingerprint(const gm_agent *a) {
    const char *r = a->root && *a->root && strcmp(a->root, "/") ? a->root : "";
    gm_buf b = {0};
    char *p = gm_asprintf("%s/proc/driver/nvidia/version", r);
    if (p) fp_file(&b, p, true);
    free(p);
    /* GPUs the kernel module sees, and MIG capabilities (gi/ci per GPU) */
    p = gm_asprintf("%s/proc/driver/nvidia/gpus", r);
    if (p) fp_dir(&b, p, NULL, 0);
    free(p);
    p = gm_asprintf("%s/proc/driver/nvidia/capabilities", r);
    if (p) fp_dir(&b, p, NULL, 4);
    free(p);
    p = gm_asprintf("%s/dev", r);
    if (p) fp_dir(&b, p, "nvidia", 0);
    free(p);
    /* A driver upgrade replaces the user-space library. */
    const char *lib = a->o.probe.nvml_lib ? a->o.probe.nvml_lib : getenv("GPUMATCH_NVML_PATH");
    if (lib && strchr(lib, '/')) fp_file(&b, lib, false);
    return gm_buf_finish(&b, NULL);
}
