/* Scenario shared by the stub NVML and libcuda: a small text file named by
 * $GM_STUB_SCENARIO, re-read at every nvmlInit_v2 / cuDriverGetVersion.
 *   driver 550.54.14        nvmlSystemGetDriverVersion
 *   cuda 12040              CUDA version (NVML and cuDriverGetVersion)
 *   nvml_init 9             return code of nvmlInit_v2 (default 0)
 *   cuda_init 100           return code of cuInit (default 0)
 *   gpu k=v|k=v...          uuid name cc mem(MiB) pci brand persist mig(cur/pend or na) cudacc
 *   mig k=v|...             instance of the last gpu: uuid name gi ci mem slot
 *   fail FUNCTION CODE      that NVML function returns CODE (libcuda: cuDevicePrimaryCtxRetain)
 * libcuda's module loading, scripted per test (the stub knows no CUDA rule):
 *   visible 1               apply CUDA_VISIBLE_DEVICES as the driver does (indices,
 *                           GPU-/MIG- UUIDs; the list ends at the first unknown entry)
 *   load k=v|...            cuModuleLoadDataEx answer; the first rule that fits wins:
 *                           dev=N (ordinal, default any) match=TEXT (bytes in the image)
 *                           nth=N (N-th load on that device) bytes=N (image size) rc=CODE log=TEXT (error log)
 *                           info=TEXT (info log: the driver JIT-compiled) delay_ms=N jit_ms=F
 *                           ("\n" in a text is a newline). No rule: rc 0, empty logs.
 * $GM_STUB_CALLS names a file the stub appends one line per call to (init,
 * retain, release, load, unload), for tests to check the calls made. */
#ifndef GM_STUB_SCENARIO_H
#define GM_STUB_SCENARIO_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STUB_MAX_GPU 16
#define STUB_MAX_MIG 7

typedef struct {
    int used, slot;
    char uuid[96], name[96];
    int gi, ci;
    long mem;
} stub_mig;

typedef struct {
    char uuid[96], name[96], pci[32];
    int ccmaj, ccmin, cudaccmaj, cudaccmin;
    long mem;
    int brand, persist, mig_cur, mig_pend, mig_na;
    stub_mig mig[STUB_MAX_MIG];
    int n_mig;
} stub_gpu;

typedef struct {
    int dev, nth, rc, delay_ms;
    long bytes;
    double jit_ms;
    char match[128], log[512], info[512];
} stub_load_rule;

typedef struct {
    char driver[80];
    int cuda, nvml_init, cuda_init;
    stub_gpu gpu[STUB_MAX_GPU];
    int n_gpu;
    char fail_fn[8][64];
    int fail_code[8], n_fail;
    int visible;
    stub_load_rule load[16];
    int n_load;
} stub_scenario;

static stub_scenario S;

static void stub_kv(char *line, void (*set)(void *, const char *, const char *), void *obj) {
    char *save = NULL;
    for (char *f = strtok_r(line, "|", &save); f; f = strtok_r(NULL, "|", &save)) {
        char *eq = strchr(f, '=');
        if (!eq) continue;
        *eq = 0;
        set(obj, f, eq + 1);
    }
}

static void stub_set_gpu(void *o, const char *k, const char *v) {
    stub_gpu *g = o;
    if (!strcmp(k, "uuid")) snprintf(g->uuid, sizeof g->uuid, "%s", v);
    else if (!strcmp(k, "name")) snprintf(g->name, sizeof g->name, "%s", v);
    else if (!strcmp(k, "pci")) snprintf(g->pci, sizeof g->pci, "%s", v);
    else if (!strcmp(k, "cc")) sscanf(v, "%d.%d", &g->ccmaj, &g->ccmin);
    else if (!strcmp(k, "cudacc")) sscanf(v, "%d.%d", &g->cudaccmaj, &g->cudaccmin);
    else if (!strcmp(k, "mem")) g->mem = atol(v);
    else if (!strcmp(k, "brand")) g->brand = atoi(v);
    else if (!strcmp(k, "persist")) g->persist = atoi(v);
    else if (!strcmp(k, "mig")) {
        if (!strcmp(v, "na")) g->mig_na = 1;
        else sscanf(v, "%d/%d", &g->mig_cur, &g->mig_pend);
    }
}

static void stub_set_mig(void *o, const char *k, const char *v) {
    stub_mig *m = o;
    if (!strcmp(k, "uuid")) snprintf(m->uuid, sizeof m->uuid, "%s", v);
    else if (!strcmp(k, "name")) snprintf(m->name, sizeof m->name, "%s", v);
    else if (!strcmp(k, "gi")) m->gi = atoi(v);
    else if (!strcmp(k, "ci")) m->ci = atoi(v);
    else if (!strcmp(k, "mem")) m->mem = atol(v);
    else if (!strcmp(k, "slot")) m->slot = atoi(v);
}

static void stub_unescape(char *d, size_t cap, const char *v) {
    size_t k = 0;
    for (; *v && k + 1 < cap; v++) {
        if (v[0] == '\\' && v[1] == 'n') {
            d[k++] = '\n';
            v++;
        } else {
            d[k++] = *v;
        }
    }
    d[k] = 0;
}

static void stub_set_load(void *o, const char *k, const char *v) {
    stub_load_rule *r = o;
    if (!strcmp(k, "dev")) r->dev = atoi(v);
    else if (!strcmp(k, "nth")) r->nth = atoi(v);
    else if (!strcmp(k, "bytes")) r->bytes = atol(v);
    else if (!strcmp(k, "rc")) r->rc = atoi(v);
    else if (!strcmp(k, "delay_ms")) r->delay_ms = atoi(v);
    else if (!strcmp(k, "jit_ms")) r->jit_ms = atof(v);
    else if (!strcmp(k, "match")) stub_unescape(r->match, sizeof r->match, v);
    else if (!strcmp(k, "log")) stub_unescape(r->log, sizeof r->log, v);
    else if (!strcmp(k, "info")) stub_unescape(r->info, sizeof r->info, v);
}

__attribute__((unused)) static void stub_load(void) {
    memset(&S, 0, sizeof S);
    const char *p = getenv("GM_STUB_SCENARIO");
    FILE *f = p ? fopen(p, "r") : NULL;
    if (!f) return;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (!strncmp(line, "driver ", 7)) snprintf(S.driver, sizeof S.driver, "%s", line + 7);
        else if (!strncmp(line, "cuda ", 5)) S.cuda = atoi(line + 5);
        else if (!strncmp(line, "nvml_init ", 10)) S.nvml_init = atoi(line + 10);
        else if (!strncmp(line, "cuda_init ", 10)) S.cuda_init = atoi(line + 10);
        else if (!strncmp(line, "gpu ", 4) && S.n_gpu < STUB_MAX_GPU) {
            stub_gpu *g = &S.gpu[S.n_gpu++];
            g->cudaccmaj = -1;
            stub_kv(line + 4, stub_set_gpu, g);
            if (g->cudaccmaj < 0) {
                g->cudaccmaj = g->ccmaj;
                g->cudaccmin = g->ccmin;
            }
        } else if (!strncmp(line, "mig ", 4) && S.n_gpu) {
            stub_gpu *g = &S.gpu[S.n_gpu - 1];
            if (g->n_mig < STUB_MAX_MIG) {
                stub_mig *m = &g->mig[g->n_mig];
                m->slot = g->n_mig++;
                stub_kv(line + 4, stub_set_mig, m);
                m->used = 1;
            }
        } else if (!strncmp(line, "visible ", 8)) {
            S.visible = atoi(line + 8);
        } else if (!strncmp(line, "load ", 5) && S.n_load < 16) {
            stub_load_rule *r = &S.load[S.n_load++];
            r->dev = -1;
            stub_kv(line + 5, stub_set_load, r);
        } else if (!strncmp(line, "fail ", 5) && S.n_fail < 8) {
            sscanf(line + 5, "%63s %d", S.fail_fn[S.n_fail], &S.fail_code[S.n_fail]);
            S.n_fail++;
        }
    }
    fclose(f);
}

__attribute__((unused)) static int stub_fail(const char *fn) {
    for (int i = 0; i < S.n_fail; i++)
        if (!strcmp(S.fail_fn[i], fn)) return S.fail_code[i];
    return 0;
}

#endif
