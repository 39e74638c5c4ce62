/* Check 2: the device nodes a GPU container gets, as character devices with the
 * majors the kernel registered (/proc/devices). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "host/host.h"
#include "internal.h"
#include "preflight/pf.h"

/* NVIDIA's fixed major for /dev/nvidia* (NV_MAJOR_DEVICE_NUMBER); nvidia-uvm
 * gets a dynamic one, so only /proc/devices tells. */
#define NV_MAJOR 195
#define NV_CTL_MINOR 255

#define FIX_UVM                                                                          \
    "nvidia-modprobe -u -c0 (loads nvidia-uvm and creates /dev/nvidia-uvm and "         \
    "/dev/nvidia-uvm-tools; without them CUDA fails with CUDA_ERROR_UNKNOWN in containers)"

static int check_node(pf_ctx *c, const char *id, const char *dev, int major, int minor,
                      const char *fix) {
    struct stat st;
    if (gm_host_stat(c->root, dev, true, &st) != 0)
        return pf_add(c, id, GM_PF_FAIL, dev, fix, "%s is missing", dev);
    if (!S_ISCHR(st.st_mode)) {
        /* A test tree (as in NVIDIA's own tests) uses plain files: under --root
         * that is a warning, on the real root a broken node. */
        const char *what = S_ISREG(st.st_mode)   ? "a regular file"
                           : S_ISDIR(st.st_mode) ? "a directory"
                                                 : "a special file";
        return pf_add(c, id, c->fake_root ? GM_PF_WARN : GM_PF_FAIL, dev, fix,
                      "%s is %s, not a character device", dev, what);
    }
    int got_major = (int)major(st.st_rdev), got_minor = (int)minor(st.st_rdev);
    if (major >= 0 && got_major != major)
        return pf_add(c, id, GM_PF_FAIL, dev,
                      "remove the stale node and recreate it (nvidia-modprobe) after the module "
                      "is loaded",
                      "%s has major %d, the kernel registered %d", dev, got_major, major);
    if (minor >= 0 && got_minor != minor)
        return pf_add(c, id, GM_PF_FAIL, dev, "remove the node and recreate it (nvidia-modprobe)",
                      "%s has minor %d, expected %d", dev, got_minor, minor);
    if (major < 0)
        return pf_add(c, id, GM_PF_WARN, dev, "check that the module behind it is loaded",
                      "%s is a character device %d:%d; its major is not registered in "
                      "/proc/devices",
                      dev, got_major, got_minor);
    return pf_add(c, id, GM_PF_OK, dev, NULL, "character device %d:%d", got_major, got_minor);
}

/* Minor numbers of the GPUs: /proc/driver/nvidia/gpus/<bus>/information
 * ("Device Minor: N"), else the node document's indices. */
static size_t gpu_minors(pf_ctx *c, int *minors, size_t max, const char **source) {
    size_t n = 0;
    gm_strlist bus = {0};
    if (gm_host_gpus(c->root, &bus, NULL) == 0) {
        for (size_t i = 0; i < bus.n && n < max; i++) {
            char *text = NULL;
            if (gm_host_gpu_information(c->root, bus.items[i], &text, NULL, NULL) == 0) {
                const char *p = strstr(text, "Device Minor:");
                int m;
                if (p && sscanf(p + 13, " %d", &m) == 1 && m >= 0 && m < 255)
                    minors[n++] = m;
            }
            free(text);
        }
        *source = "/proc/driver/nvidia/gpus";
    }
    gm_strlist_free(&bus);
    if (n == 0 && c->node) {
        for (size_t i = 0; i < c->node->n_devices && n < max; i++)
            minors[n++] = c->node->devices[i].index;
        *source = "node document";
    }
    /* Sorted, for stable output. */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && minors[j - 1] > minors[j]; j--) {
            int t = minors[j];
            minors[j] = minors[j - 1];
            minors[j - 1] = t;
        }
    return n;
}

int pf_check_devnodes(pf_ctx *c) {
    char *text = NULL;
    size_t len = 0;
    gm_error e = {0};
    int have_devs = gm_host_read(c->root, "/proc/devices", GM_HOST_PROC_MAX, &text, &len, &e) == 0;
    int nv = -1, uvm = -1, rc;
    if (have_devs) {
        nv = gm_pf_proc_devices_major(text, len, "nvidia");
        if (nv < 0)
            nv = gm_pf_proc_devices_major(text, len, "nvidia-frontend");
        uvm = gm_pf_proc_devices_major(text, len, "nvidia-uvm");
    }
    free(text);
    if (!have_devs)
        rc = pf_add(c, "dev.majors", GM_PF_WARN, "/proc/devices", "mount /proc",
                    "cannot verify device majors: %s", e.msg);
    else if (nv < 0)
        rc = pf_add(c, "dev.majors", GM_PF_FAIL, "/proc/devices",
                    "load the NVIDIA kernel module (modprobe nvidia)",
                    "no \"nvidia\" character device registered: the kernel module is not "
                    "loaded");
    else if (uvm < 0)
        rc = pf_add(c, "dev.majors", GM_PF_FAIL, "/proc/devices", FIX_UVM,
                    "nvidia %d registered but no \"nvidia-uvm\": the nvidia-uvm module is not "
                    "loaded",
                    nv);
    else
        rc = pf_add(c, "dev.majors", GM_PF_OK, "/proc/devices", NULL,
                    "nvidia %d, nvidia-uvm %d", nv, uvm);
    if (rc)
        return rc;
    /* Without /proc/devices, NVIDIA's fixed major still applies to /dev/nvidia*. */
    int nv_major = have_devs ? nv : NV_MAJOR;

    const char *fix_ctl = "nvidia-modprobe -c0 (creates /dev/nvidiactl and /dev/nvidia0), or "
                          "load the driver";
    if ((rc = check_node(c, "dev.nvidiactl", "/dev/nvidiactl", nv_major, NV_CTL_MINOR, fix_ctl)))
        return rc;
    int minors[64];
    const char *source = NULL;
    size_t n = gpu_minors(c, minors, 64, &source);
    if (n == 0)
        rc = pf_add(c, "dev.nvidia-gpu", GM_PF_SKIP, "/dev/nvidia<N>", NULL,
                    "no GPU list (no /proc/driver/nvidia/gpus, no node document)");
    else
        rc = pf_add(c, "dev.gpu-list", GM_PF_OK, NULL, NULL, "%zu GPU(s) from %s", n, source);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        char dev[32], fix[96];
        snprintf(dev, sizeof dev, "/dev/nvidia%d", minors[i]);
        snprintf(fix, sizeof fix, "nvidia-modprobe -c%d (creates %s)", minors[i], dev);
        if ((rc = check_node(c, "dev.nvidia-gpu", dev, nv_major, minors[i], fix)))
            return rc;
    }
    if ((rc = check_node(c, "dev.nvidia-uvm", "/dev/nvidia-uvm", uvm, 0, FIX_UVM)))
        return rc;
    return check_node(c, "dev.nvidia-uvm-tools", "/dev/nvidia-uvm-tools", uvm, 1, FIX_UVM);
}
