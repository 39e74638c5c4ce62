/* /proc backend: what the kernel module says. It needs no user-space driver
 * library (useful in containers without them) but knows neither compute
 * capability nor memory size. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"
#include "probe/probe_int.h"

#define PROC_MAX (64u * 1024u)

char *gm_probe_path(const char *root, const char *path) {
    if (!root || !*root || !strcmp(root, "/")) return gm_strdup(path);
    size_t n = strlen(root);
    while (n > 1 && root[n - 1] == '/') n--;
    return gm_asprintf("%.*s%s", (int)n, root, path);
}

/* Reads a file; GM_ENOTFOUND if it does not exist. */
static int slurp(const char *path, char **text, gm_error *err) {
    size_t len;
    if (access(path, F_OK) != 0 && errno == ENOENT)
        return gm_error_set(err, GM_ENOTFOUND, "%s: not found", path);
    return gm_read_file(path, PROC_MAX, text, &len, err);
}

int gm_probe_procfs_version(const char *root, gm_driver_version *out, gm_error *err) {
    char *path = gm_probe_path(root, "/proc/driver/nvidia/version");
    char *text = NULL;
    if (!path) return gm_error_set(err, GM_ENOMEM, "out of memory");
    int rc = slurp(path, &text, err);
    if (rc < 0) {
        free(path);
        return rc;
    }
    rc = gm_error_set(err, GM_EINVAL, "%s: no 'NVRM version:' line with a driver version", path);
    char *line = strstr(text, "NVRM version:");
    if (line) {
        char *eol = strchr(line, '\n');
        if (eol) *eol = 0;
        /* The version is the first token that parses; the words before it vary
         * ("Kernel Module", "Open Kernel Module for x86_64"). */
        for (char *tok = strtok(line + 13, " \t"); tok; tok = strtok(NULL, " \t")) {
            if (!isdigit((unsigned char)tok[0])) continue;
            if (gm_driver_version_parse(tok, out, NULL) == 0) {
                gm_error_clear(err);
                rc = 0;
                break;
            }
        }
    }
    free(text);
    free(path);
    return rc;
}

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
    return s;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_gpu(const char *dir, const char *bus, gm_node *out, gm_error *err) {
    char *path = gm_asprintf("%s/%s/information", dir, bus);
    char *text = NULL;
    if (!path) return gm_error_set(err, GM_ENOMEM, "out of memory");
    int rc = slurp(path, &text, err);
    if (rc < 0) {
        free(path);
        return rc;
    }
    gm_device *d = gm_probe_add_device(out);
    if (!d) {
        free(text);
        free(path);
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    }
    d->index = (int)out->n_devices - 1;
    d->pci_bus_id = gm_probe_norm_busid(bus);
    char *save = NULL;
    for (char *ln = strtok_r(text, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
        char *colon = strchr(ln, ':');
        if (!colon) continue;
        *colon = 0;
        char *key = trim(ln), *val = trim(colon + 1);
        if (!strcmp(key, "Model")) {
            free(d->name);
            d->name = gm_strdup(val);
            gm_probe_cc_from_name(d->name, &d->cc); /* /proc has no capability */
        } else if (!strcmp(key, "GPU UUID")) {
            /* '?' placeholders until the GPU has been initialised once */
            if (!strncmp(val, "GPU-", 4) && !strchr(val, '?')) {
                free(d->uuid);
                d->uuid = gm_strdup(val);
            }
        } else if (!strcmp(key, "Device Minor")) {
            /* /dev/nvidia<minor>; not the index in general */
            char *end;
            long m = strtol(val, &end, 10);
            if (end != val && !*end && m >= 0 && m < 255) d->minor = (int)m;
        } else if (!strcmp(key, "Bus Location")) {
            char *b = gm_probe_norm_busid(val);
            if (b) {
                free(d->pci_bus_id);
                d->pci_bus_id = b;
            }
        }
    }
    free(text);
    free(path);
    return 0;
}

int gm_probe_procfs(const gm_probe_opts *o, gm_node *out, gm_error *err) {
    int rc = gm_probe_procfs_version(o->root, &out->driver, err);
    if (rc < 0) return rc;
    char *dir = gm_probe_path(o->root, "/proc/driver/nvidia/gpus");
    if (!dir) return gm_error_set(err, GM_ENOMEM, "out of memory");
    DIR *dh = opendir(dir);
    if (!dh) {
        free(dir);
        return 0; /* module loaded, no GPU directory: zero GPUs */
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(dh))) {
        if (e->d_name[0] == '.') continue;
        if (gm_grow((void **)&names, &cap, n + 1, sizeof *names) < 0 ||
            !(names[n] = gm_strdup(e->d_name))) {
            rc = gm_error_set(err, GM_ENOMEM, "out of memory");
            break;
        }
        n++;
    }
    closedir(dh);
    /* NVML numbers GPUs in PCI bus order; directory order is arbitrary. */
    if (rc == 0 && n) qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n && rc == 0; i++) rc = read_gpu(dir, names[i], out, err);
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    free(dir);
    return rc;
}
