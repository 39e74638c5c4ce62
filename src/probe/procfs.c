/* /proc backend: what the kernel module says. It needs no user-space driver
 * library (useful in containers without them) but knows neither compute
 * capability nor memory size. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"
#include "host/host.h"
#include "probe/probe_int.h"

int gm_probe_procfs_version(const char *root, gm_driver_version *out, gm_error *err) {
    return gm_host_driver_version(root, out, NULL, 0, err);
}

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
    return s;
}

static int read_gpu(const char *root, const char *bus, gm_node *out, gm_error *err) {
    char *text = NULL;
    int rc = gm_host_gpu_information(root, bus, &text, NULL, err);
    if (rc < 0) return rc;
    gm_device *d = gm_probe_add_device(out);
    if (!d) {
        free(text);
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
    return 0;
}

int gm_probe_procfs(const gm_probe_opts *o, gm_node *out, gm_error *err) {
    int rc = gm_probe_procfs_version(o->root, &out->driver, err);
    if (rc < 0) return rc;
    gm_strlist names = {0};
    rc = gm_host_gpus(o->root, &names, err);
    if (rc == GM_EABSENT) {
        gm_error_clear(err);
        return 0; /* module loaded, no GPU directory: zero GPUs */
    }
    /* gm_host_list sorts: NVML numbers GPUs in PCI bus order too. */
    for (size_t i = 0; i < names.n && rc == 0; i++) rc = read_gpu(o->root, names.items[i], out, err);
    gm_strlist_free(&names);
    return rc;
}
