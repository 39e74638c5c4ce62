/* Schedulable units of a node, as exports publish them (see units.h). */
#include "export/units.h"

#include <stdlib.h>

bool gm_dev_is_mig(const gm_device *d) { return d->mig_mode == GM_MIG_ENABLED; }

int gm_xunits(const gm_node *n, gm_xunit **out, size_t *count) {
    size_t k = 0;
    for (size_t i = 0; i < n->n_devices; i++)
        k += gm_dev_is_mig(&n->devices[i]) ? n->devices[i].n_mig : 1;
    *out = NULL;
    *count = 0;
    if (!k) return 0;
    gm_xunit *u = calloc(k, sizeof *u);
    if (!u) return -1;
    size_t o = 0;
    for (size_t i = 0; i < n->n_devices; i++) {
        const gm_device *d = &n->devices[i];
        if (!gm_dev_is_mig(d)) {
            u[o++] = (gm_xunit){d, NULL};
            continue;
        }
        for (size_t m = 0; m < d->n_mig; m++) u[o++] = (gm_xunit){d, &d->mig[m]};
    }
    *out = u;
    *count = o;
    return 0;
}

long gm_xunit_mem(const gm_xunit *u) { return u->m ? u->m->memory_mib : u->d->memory_mib; }

int gm_mig_gi_cap_minor(int gpu_minor, int gi) { return 3 + 135 * gpu_minor + 9 * gi; }

int gm_mig_ci_cap_minor(int gpu_minor, int gi, int ci) {
    return gm_mig_gi_cap_minor(gpu_minor, gi) + 1 + ci;
}

size_t gm_full_gpus(const gm_node *n) {
    size_t k = 0;
    for (size_t i = 0; i < n->n_devices; i++) k += !gm_dev_is_mig(&n->devices[i]);
    return k;
}

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *gm_arch_long(const char *arch) {
    return arch && !strcmp(arch, "Ada") ? "Ada Lovelace" : arch;
}

const char *gm_brand_nvml(const char *brand) {
    static const char *const map[][2] = {
        {"tesla", "Tesla"},     {"nvidia", "Nvidia"},   {"geforce", "GeForce"},
        {"quadro", "Quadro"},   {"titan", "Titan"},     {"nvs", "NVS"},
        {"grid", "GRID"},       {"quadro_rtx", "QuadroRTX"}, {"nvidia_rtx", "NvidiaRTX"},
        {"unknown", "Unknown"},
    };
    for (size_t i = 0; brand && i < sizeof map / sizeof map[0]; i++)
        if (!strcasecmp(brand, map[i][0])) return map[i][1];
    return brand;
}

void gm_busid_short(const char *in, bool lower, char *buf, size_t len) {
    const char *c = strchr(in, ':');
    if (c && c - in == 8 && !strncmp(in, "0000", 4)) in += 4;
    snprintf(buf, len, "%s", in);
    for (char *p = buf; lower && *p; p++) *p = (char)tolower((unsigned char)*p);
}
