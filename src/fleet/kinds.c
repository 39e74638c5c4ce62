/* Node kinds: nodes whose match-relevant facts are equal get one verdict. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gpumatch/fleet.h"
#include "internal.h"

#define OOM(err) gm_error_set(err, GM_ENOMEM, "out of memory")

const char *gm_node_display_name(const gm_node *n, size_t i, char *buf, size_t len) {
    if (n->hostname)
        return n->hostname;
    if (n->instance_type)
        return n->instance_type;
    snprintf(buf, len, "node#%zu", i);
    return buf;
}

static const char *mig_word(gm_mig_mode m) { return gm_mig_mode_str(m); }

/* Everything gm_match and NVIDIA_REQUIRE evaluation read, nothing else. The
 * separator \x1f cannot occur in parsed names without being part of them, and
 * lengths prefix every string so no two different nodes share a key. */
static char *node_key(const gm_node *n) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    char a[GM_VERSION_STR_MAX];
#define S(s) fprintf(f, "%zu:%s|", (s) ? strlen(s) : (size_t)-1, (s) ? (s) : "")
    fprintf(f, "%s|", gm_driver_version_is_set(&n->driver) ? gm_driver_version_str(&n->driver, a)
                                                            : "-");
    fprintf(f, "%d|%s|", n->has_cuda_driver,
            n->has_cuda_driver ? gm_cuda_version_str(&n->cuda_driver, a) : "-");
    S(n->instance_type);
    fprintf(f, "%.17g|%ld|%d|%zu|", n->price, n->count, n->has_count, n->n_devices);
    for (size_t i = 0; i < n->n_devices; i++) {
        const gm_device *d = &n->devices[i];
        S(d->name);
        S(d->brand);
        fprintf(f, "%d.%d|%ld|%d|%zu|", d->cc.major, d->cc.minor, d->memory_mib, d->mig_mode,
                d->mig_mode == GM_MIG_ENABLED ? d->n_mig : 0);
        if (d->mig_mode == GM_MIG_ENABLED)
            for (size_t m = 0; m < d->n_mig; m++) {
                S(d->mig[m].profile);
                fprintf(f, "%ld|", d->mig[m].memory_mib);
            }
    }
#undef S
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* "NVIDIA H100 80GB HBM3" -> "h100"; "GeForce RTX 4090" -> "4090". */
static void model_slug(const char *name, char *out, size_t len) {
    static const char *const skip[] = {"nvidia", "tesla", "geforce", "rtx", "quadro", NULL};
    const char *p = name ? name : "";
    for (;;) {
        while (*p == ' ')
            p++;
        bool skipped = false;
        for (size_t i = 0; skip[i]; i++) {
            size_t l = strlen(skip[i]);
            if (!strncasecmp(p, skip[i], l) && (p[l] == ' ') && p[l + 1]) {
                p += l;
                skipped = true;
                break;
            }
        }
        if (!skipped)
            break;
    }
    size_t o = 0;
    for (; *p && o + 1 < len && (isalnum((unsigned char)*p)); p++)
        out[o++] = (char)tolower((unsigned char)*p);
    out[o] = '\0';
    if (!o)
        snprintf(out, len, "gpu");
}

static char *kind_base_id(const gm_node *n) {
    if (n->instance_type)
        return gm_strdup(n->instance_type);
    if (!n->n_devices)
        return gm_strdup("nogpu");
    char buf[128] = "", s[32];
    size_t used = 0;
    for (size_t i = 0; i < n->n_devices; i++) {
        if (i && n->devices[i].name && n->devices[i - 1].name &&
            !strcmp(n->devices[i].name, n->devices[i - 1].name))
            continue;
        model_slug(n->devices[i].name, s, sizeof s);
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s", used ? "+" : "", s);
        if (used >= sizeof buf - 1)
            break;
    }
    return gm_strdup(buf);
}

static char *kind_gpus(const gm_node *n) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    if (!n->n_devices)
        fputs("no GPUs", f);
    for (size_t i = 0; i < n->n_devices;) {
        const gm_device *d = &n->devices[i];
        size_t j = i + 1;
        /* a run of identical whole GPUs is written once with its count */
        while (j < n->n_devices && d->mig_mode != GM_MIG_ENABLED &&
               n->devices[j].mig_mode == d->mig_mode && n->devices[j].cc.major == d->cc.major &&
               n->devices[j].cc.minor == d->cc.minor &&
               n->devices[j].memory_mib == d->memory_mib &&
               !strcmp(n->devices[j].name ? n->devices[j].name : "", d->name ? d->name : ""))
            j++;
        char cc[GM_VERSION_STR_MAX];
        if (i)
            fputs(" + ", f);
        if (j - i > 1)
            fprintf(f, "%zux ", j - i);
        fprintf(f, "%s (CC %s", d->name ? d->name : "unknown GPU",
                d->cc.major ? gm_cc_str(&d->cc, cc) : "unknown");
        if (d->memory_mib >= 0)
            fprintf(f, ", %ld MiB", d->memory_mib);
        if (d->mig_mode == GM_MIG_ENABLED) {
            fprintf(f, ", MIG");
            for (size_t m = 0; m < d->n_mig; m++)
                fprintf(f, "%s%s", m ? "," : " ", d->mig[m].profile ? d->mig[m].profile : "?");
            if (!d->n_mig)
                fprintf(f, " without instances");
        }
        fputc(')', f);
        i = j;
    }
    (void)mig_word;
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

void gm_node_kinds_free(gm_node_kinds *k) {
    if (!k)
        return;
    for (size_t i = 0; i < k->n; i++) {
        free(k->kinds[i].id);
        free(k->kinds[i].gpus);
        free(k->kinds[i].was_driver);
        free(k->kinds[i].members);
    }
    free(k->kinds);
    free(k->kind_of);
    memset(k, 0, sizeof *k);
}

int gm_node_kinds_build(const gm_node_list *nodes, gm_node_kinds *out, gm_error *err) {
    memset(out, 0, sizeof *out);
    size_t n = nodes->n, cap = 0;
    char **keys = gm_xcalloc(n ? n : 1, sizeof *keys);
    size_t *caps = gm_xcalloc(n ? n : 1, sizeof *caps); /* per kind: members capacity */
    out->kind_of = gm_xcalloc(n ? n : 1, sizeof *out->kind_of);
    out->n_nodes = n;
    if (!keys || !caps || !out->kind_of)
        goto oom;
    /* Linear probing over kind keys: fleets have few kinds, so this is cheap. */
    size_t hcap = 64;
    while (hcap < 2 * n)
        hcap *= 2;
    long *table = malloc(hcap * sizeof *table);
    if (!table)
        goto oom;
    for (size_t i = 0; i < hcap; i++)
        table[i] = -1;
    for (size_t i = 0; i < n; i++) {
        char *key = node_key(&nodes->nodes[i]);
        if (!key) {
            free(table);
            goto oom;
        }
        uint64_t h = 1469598103934665603ull;
        for (const char *p = key; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ull;
        size_t slot = (size_t)h & (hcap - 1);
        while (table[slot] >= 0 && strcmp(keys[table[slot]], key))
            slot = (slot + 1) & (hcap - 1);
        size_t k;
        if (table[slot] < 0) {
            if (gm_grow((void **)&out->kinds, &cap, out->n + 1, sizeof *out->kinds) < 0) {
                free(key);
                free(table);
                goto oom;
            }
            k = out->n++;
            memset(&out->kinds[k], 0, sizeof out->kinds[k]);
            caps[k] = 0;
            keys[k] = key;
            table[slot] = (long)k;
        } else {
            k = (size_t)table[slot];
            free(key);
        }
        gm_node_kind *kd = &out->kinds[k];
        if (gm_grow((void **)&kd->members, &caps[k], kd->n_members + 1, sizeof *kd->members) < 0) {
            free(table);
            goto oom;
        }
        kd->members[kd->n_members++] = i;
        out->kind_of[i] = k;
    }
    free(table);
    for (size_t k = 0; k < out->n; k++) {
        const gm_node *rep = &nodes->nodes[out->kinds[k].members[0]];
        char *base = kind_base_id(rep);
        out->kinds[k].gpus = kind_gpus(rep);
        if (!base || !out->kinds[k].gpus) {
            free(base);
            goto oom;
        }
        /* unique ids: the first kind of a model keeps the plain name */
        size_t same = 0;
        for (size_t j = 0; j < k; j++) {
            const char *o = out->kinds[j].id;
            size_t bl = strlen(base);
            if (!strncmp(o, base, bl) && (!o[bl] || (o[bl] == '-' && isdigit((unsigned char)o[bl + 1]))))
                same++;
        }
        out->kinds[k].id = same ? gm_asprintf("%s-%zu", base, same + 1) : gm_strdup(base);
        free(base);
        if (!out->kinds[k].id)
            goto oom;
    }
    for (size_t k = 0; k < out->n; k++)
        free(keys[k]);
    free(keys);
    free(caps);
    return 0;
oom:
    if (keys)
        for (size_t k = 0; k < out->n; k++)
            free(keys[k]);
    free(keys);
    free(caps);
    gm_node_kinds_free(out);
    return OOM(err);
}
