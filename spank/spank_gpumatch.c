/* spank_gpumatch: a Slurm SPANK plugin that refuses to start a task whose
 * program cannot run on the GPUs the step was given, with gpumatch's reason,
 * instead of letting CUDA fail later ("no kernel image is available").
 *   srun --gpu-require=FILE   requirement document (gpumatch inspect --json)
 *   srun --gpu-require=auto   inspect the step's executable (argv[0] on PATH)
 * plugstack.conf arguments: strict (refuse when gpumatch cannot decide, e.g.
 * no driver; default: let the task run and log why), nvml=PATH (NVML library).
 * Runs in slurmstepd, in slurm_spank_task_init (spank(8): "called for each
 * task just before execve"); the allocated GPUs are the task's
 * CUDA_VISIBLE_DEVICES (set by the gres/gpu plugin). Only libgpumatch's public
 * API is used. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strdup, strtok_r, setenv */
#endif
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <slurm/spank.h>

#include "gpumatch/inspect.h"
#include "gpumatch/match.h"
#include "gpumatch/probe.h"
#include "gpumatch/require.h"

SPANK_PLUGIN(gpumatch, 1);

static char *opt_require; /* NULL: not asked */
static bool opt_strict;
static char *opt_nvml;

static int on_opt(int val, const char *arg, int remote) {
    (void)val;
    (void)remote;
    if (!arg || !*arg) {
        slurm_error("gpumatch: --gpu-require needs FILE or 'auto'");
        return -1;
    }
    free(opt_require);
    opt_require = strdup(arg);
    return opt_require ? 0 : -1;
}

static struct spank_option gpu_require_opt = {
    "gpu-require", "FILE|auto",
    "Refuse to start unless the program fits the allocated GPUs (gpumatch); "
    "FILE: requirement from `gpumatch inspect --json`, auto: inspect the executable",
    1, 0, on_opt};

int slurm_spank_init(spank_t sp, int ac, char **av) {
    for (int i = 0; i < ac; i++) {
        if (!strcmp(av[i], "strict")) opt_strict = true;
        else if (!strncmp(av[i], "nvml=", 5)) opt_nvml = strdup(av[i] + 5);
        else slurm_error("gpumatch: unknown plugstack argument '%s'", av[i]);
    }
    return spank_option_register(sp, &gpu_require_opt) == ESPANK_SUCCESS ? 0 : -1;
}

/* argv[0] as execve will find it: with a '/', as given; else on the job's PATH. */
static bool resolve(spank_t sp, const char *prog, char *out, size_t len) {
    if (strchr(prog, '/')) {
        snprintf(out, len, "%s", prog);
        return access(out, R_OK) == 0;
    }
    char path[8192];
    if (spank_getenv(sp, "PATH", path, sizeof path) != ESPANK_SUCCESS)
        snprintf(path, sizeof path, "/usr/local/bin:/usr/bin:/bin");
    char *save = NULL;
    for (char *d = strtok_r(path, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        struct stat st;
        snprintf(out, len, "%s/%s", *d ? d : ".", prog);
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0) return true;
    }
    return false;
}

/* One line: the node's reasons, then each unusable GPU's. */
static void reasons(const gm_verdict *v, char *buf, size_t len) {
    size_t o = 0;
    buf[0] = 0;
#define ADD(...) do { if (o < len) o += (size_t)snprintf(buf + o, len - o, __VA_ARGS__); } while (0)
    for (size_t i = 0; i < v->reasons.n; i++) ADD("%s%s", o ? "; " : "", v->reasons.items[i]);
    for (size_t u = 0; u < v->n_units; u++) {
        const gm_unit_verdict *uv = &v->units[u];
        if (uv->ok) continue;
        char label[64];
        gm_unit_label(v, uv, label, sizeof label);
        const gm_device *d = &v->node->devices[uv->device];
        ADD("%sGPU %s (%s, CC %d.%d): ", o ? "; " : "", label, d->name ? d->name : "?", d->cc.major,
            d->cc.minor);
        for (size_t i = 0; i < uv->reasons.n; i++) ADD("%s%s", i ? ", " : "", uv->reasons.items[i]);
    }
#undef ADD
}

/* 0 run, -1 refuse. Undecidable cases follow opt_strict. */
static int undecided(const char *why) {
    if (opt_strict) {
        fprintf(stderr, "gpumatch: refusing to start the task: %s\n", why);
        return -1;
    }
    slurm_info("gpumatch: not checked: %s", why);
    return 0;
}

int slurm_spank_task_init(spank_t sp, int ac, char **av) {
    (void)ac;
    (void)av;
    if (!opt_require || !spank_remote(sp)) return 0;
    int argc = 0;
    char **argv = NULL;
    if (spank_get_item(sp, S_JOB_ARGV, &argc, &argv) != ESPANK_SUCCESS || argc < 1)
        return undecided("no step command line");
    gm_error err = {0};
    gm_requirement req;
    gm_requirement_init(&req);
    char exe[PATH_MAX];
    const char *what;
    if (!strcmp(opt_require, "auto")) {
        if (!resolve(sp, argv[0], exe, sizeof exe)) {
            gm_requirement_free(&req);
            return undecided("executable not found on PATH");
        }
        gm_inspect in;
        gm_inspect_init(&in, GM_FATBIN_HEADERS);
        int rc = gm_inspect_add_path(&in, exe, NULL, &err);
        if (rc == 0) rc = gm_inspect_requirement(&in, &req, &err);
        gm_inspect_free(&in);
        if (rc < 0) {
            gm_requirement_free(&req);
            return undecided(err.msg);
        }
        if (!req.n_modules && !req.has_cuda_runtime) { /* not a CUDA program */
            gm_requirement_free(&req);
            return 0;
        }
        what = exe;
    } else {
        if (gm_requirement_load(opt_require, &req, &err) < 0) {
            fprintf(stderr, "gpumatch: --gpu-require: %s\n", err.msg);
            gm_requirement_free(&req);
            return -1; /* the user's own file is wrong: say so, always */
        }
        what = argv[0];
    }
    /* The GPUs of this step: the job environment's CUDA_VISIBLE_DEVICES. */
    char vis[1024];
    gm_probe_opts po;
    memset(&po, 0, sizeof po);
    po.nvml_lib = opt_nvml;
    if (spank_getenv(sp, "CUDA_VISIBLE_DEVICES", vis, sizeof vis) == ESPANK_SUCCESS) {
        setenv("CUDA_VISIBLE_DEVICES", vis, 1);
        po.visible = true;
    }
    gm_node node;
    gm_node_init(&node);
    if (gm_probe(&po, &node, &err) < 0) {
        gm_node_free(&node);
        gm_requirement_free(&req);
        return undecided(err.msg);
    }
    gm_verdict v;
    int rc = gm_match(&node, &req, &v, &err);
    int ret = 0;
    if (rc < 0) {
        ret = undecided(err.msg);
    } else if (!v.ok) {
        char why[4096];
        reasons(&v, why, sizeof why);
        /* the task's stderr is the step's: srun prints it */
        fprintf(stderr, "gpumatch: refusing to start %s on the allocated GPU(s): %s\n", what, why);
        fflush(stderr);
        slurm_info("gpumatch: refused %s: %s", what, why); /* log only: srun has the line */
        ret = -1;
    }
    if (rc >= 0) gm_verdict_free(&v);
    gm_node_free(&node);
    gm_requirement_free(&req);
    return ret;
}

int slurm_spank_exit(spank_t sp, int ac, char **av) {
    (void)sp;
    (void)ac;
    (void)av;
    free(opt_require);
    opt_require = NULL;
    free(opt_nvml);
    opt_nvml = NULL;
    return 0;
}
