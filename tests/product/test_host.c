/* src/host: the node's files seen through a root. The /proc/driver/nvidia/
 * version lines are the ones the proprietary and open kernel modules print
 * (535.104.05 proprietary, 580.95.05 open, as in NVIDIA's driver README
 * "Verifying the installation" and real nodes). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "gpumatch/driverfiles.h"
#include "gpumatch/sys/host.h"
#include "gpumatch/preflight.h"
#include "gpumatch/sys/preflight.h"
#include "gpumatch/probe.h"
#include "host/host.h"

static const char proprietary[] =
    "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 UTC 2023\n"
    "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n";
static const char open_km[] =
    "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.95.05  Release Build  "
    "(dvs-builder@U22-I3-AE18-23-3)  Wed Sep 24 2025\n";

static char root[256];

static void put(const char *rel, const char *text) {
    char p[512];
    snprintf(p, sizeof p, "%s%s", root, rel);
    char d[512];
    snprintf(d, sizeof d, "mkdir -p \"$(dirname '%s')\"", p);
    assert_int_equal(system(d), 0);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void link_at(const char *rel, const char *target) {
    char p[512];
    snprintf(p, sizeof p, "%s%s", root, rel);
    unlink(p);
    assert_int_equal(symlink(target, p), 0);
}

static int setup(void **state) {
    snprintf(root, sizeof root, "/tmp/gm-host-XXXXXX");
    assert_non_null(mkdtemp(root));
    return 0;
}

static int teardown(void **state) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd);
}

static void parse_nvrm(void **state) {
    gm_driver_version v;
    char buf[32];
    assert_int_equal(gm_host_parse_nvrm(proprietary, strlen(proprietary), &v, buf, sizeof buf, NULL), 0);
    assert_string_equal(buf, "535.104.05");
    assert_int_equal(v.major, 535);
    assert_int_equal(v.minor, 104);
    assert_int_equal(v.patch, 5);
    assert_int_equal(gm_host_parse_nvrm(open_km, strlen(open_km), &v, NULL, 0, NULL), 0);
    assert_int_equal(v.major, 580);
    gm_error e = {0};
    const char *none = "GCC version: 12.2\n";
    assert_int_equal(gm_host_parse_nvrm(none, strlen(none), &v, NULL, 0, &e), GM_EINVAL);
    assert_int_equal(e.code, GM_EINVAL);
    /* A version-like word on the next line is not the module's version. */
    const char *nover = "NVRM version: NVIDIA UNIX Kernel Module\n12.2";
    assert_int_equal(gm_host_parse_nvrm(nover, strlen(nover), &v, NULL, 0, &e), GM_EINVAL);
    /* The three old entry points give the same answers. */
    assert_int_equal(gm_pf_parse_nvrm(open_km, strlen(open_km), buf, sizeof buf, NULL), 0);
    assert_string_equal(buf, "580.95.05");
}

static void version_file(void **state) {
    gm_driver_version v;
    gm_error e = {0};
    /* Not there: the source is absent (no module loaded), not bad input. */
    assert_int_equal(gm_host_driver_version(root, &v, NULL, 0, &e), GM_EABSENT);
    put("/proc/driver/nvidia/version", proprietary);
    assert_int_equal(gm_host_driver_version(root, &v, NULL, 0, &e), 0);
    assert_int_equal(v.major, 535);
    /* The root's own copy, even through an absolute symlink: never the host's. */
    put("/etc/nvrm", open_km);
    link_at("/proc/driver/nvidia/version", "/etc/nvrm");
    assert_int_equal(gm_host_driver_version(root, &v, NULL, 0, &e), 0);
    assert_int_equal(v.major, 580);
    link_at("/proc/driver/nvidia/version", "../../../../../../../etc/nvrm");
    assert_int_equal(gm_host_driver_version(root, &v, NULL, 0, &e), 0);
    assert_int_equal(v.major, 580);
    /* A link loop is an error, not a hang. */
    link_at("/proc/driver/nvidia/version", "version");
    assert_true(gm_host_driver_version(root, &v, NULL, 0, &e) < 0);
}

static void fifo_and_oversized(void **state) {
    char p[512];
    gm_driver_version v;
    gm_error e = {0};
    snprintf(p, sizeof p, "%s/proc/driver/nvidia/version", root);
    unlink(p);
    put("/proc/driver/nvidia/x", "");
    assert_int_equal(mkfifo(p, 0600), 0);
    alarm(10); /* a blocking open of the FIFO would hang here; SIGALRM fails the test */
    assert_int_equal(gm_host_driver_version(root, &v, NULL, 0, &e), GM_EINVAL);
    assert_non_null(strstr(e.msg, "not a regular file"));
    gm_probe_opts o = {.backend = "procfs", .root = root};
    gm_node n;
    gm_node_init(&n);
    assert_int_equal(gm_probe(&o, &n, &e), GM_EINVAL);
    gm_node_free(&n);
    /* launch's driver-files and preflight read the same file the same way. */
    gm_driver_files f;
    gm_driver_files_opts fo = {.root = root};
    assert_int_equal(gm_driver_files_find(&fo, &f, &e), GM_EINVAL);
    assert_non_null(strstr(e.msg, "not a regular file"));
    gm_driver_files_free(&f);
    gm_pf_opts po = {.root = root};
    gm_pf_report rep = {0};
    assert_int_equal(gm_preflight_run(&po, &rep, &e), 0);
    bool seen = false;
    for (size_t i = 0; i < rep.n; i++)
        if (!strcmp(rep.items[i].id, "driver.kernel-module")) {
            seen = true;
            assert_int_equal(rep.items[i].status, GM_PF_FAIL);
            assert_non_null(strstr(rep.items[i].evidence, "not a regular file"));
        }
    assert_true(seen);
    gm_pf_report_free(&rep);
    alarm(0);
    unlink(p);
    /* Over the bound: "too large", not "is the driver loaded?". */
    size_t big = GM_HOST_PROC_MAX + 1;
    char *text = malloc(big + 1);
    assert_non_null(text);
    memset(text, 'x', big);
    memcpy(text, proprietary, sizeof proprietary - 1);
    text[big] = '\0';
    put("/proc/driver/nvidia/version", text);
    free(text);
    assert_int_equal(gm_host_driver_version(root, &v, NULL, 0, &e), GM_EINVAL);
    assert_non_null(strstr(e.msg, "too large"));
    assert_null(strstr(e.msg, "loaded"));
}

static void resolve_and_list(void **state) {
    char *out = NULL;
    put("/usr/lib/x86_64-linux-gnu/libcuda.so.535.104.05", "");
    link_at("/usr/lib/x86_64-linux-gnu/libcuda.so.1", "libcuda.so.535.104.05");
    char lib64[512];
    snprintf(lib64, sizeof lib64, "%s/lib64", root);
    symlink("/usr/lib/x86_64-linux-gnu", lib64);
    assert_int_equal(gm_host_resolve(root, "/lib64/libcuda.so.1", &out), 0);
    assert_string_equal(out, "/usr/lib/x86_64-linux-gnu/libcuda.so.535.104.05");
    free(out);
    assert_int_equal(gm_host_resolve(root, "/lib64/../../../../usr/lib", &out), 0);
    assert_string_equal(out, "/usr/lib");
    free(out);
    assert_int_equal(gm_host_resolve(root, "/lib64/nope/libx.so", &out), 1);
    assert_string_equal(out, "/usr/lib/x86_64-linux-gnu/nope/libx.so");
    free(out);
    put("/proc/driver/nvidia/gpus/0000:3b:00.0/information", "Model: Tesla V100\n");
    put("/proc/driver/nvidia/gpus/0000:07:00.0/information", "Model: Tesla V100\n");
    gm_strlist names = {0};
    assert_int_equal(gm_host_list(root, "/proc/driver/nvidia/gpus", &names, NULL), 0);
    assert_int_equal(names.n, 2);
    assert_string_equal(names.items[0], "0000:07:00.0"); /* PCI order */
    gm_strlist_free(&names);
    assert_int_equal(gm_host_list(root, "/proc/driver/nvidia/none", &names, NULL), GM_EABSENT);
}

static void proc_devices(void **state) {
    /* Shape of /proc/devices on a node with the driver loaded. */
    const char *t = "Character devices:\n  1 mem\n195 nvidia-frontend\n195 nvidia\n508 nvidia-uvm\n"
                    "\nBlock devices:\n  8 sd\n509 nvidia-uvm-blk\n";
    assert_int_equal(gm_host_proc_devices_major(t, strlen(t), "nvidia"), 195);
    assert_int_equal(gm_host_proc_devices_major(t, strlen(t), "nvidia-uvm"), 508);
    assert_int_equal(gm_host_proc_devices_major(t, strlen(t), "nvidia-uvm-blk"), -1);
    assert_int_equal(gm_host_proc_devices_major(t, strlen(t), "sd"), -1);
}

/* stat, programs and the CUDA compat directories, all confined: an absolute
 * link inside the root leads to the root's file, never the host's. */
static void stat_exec_compat(void **state) {
    put("/usr/bin/nvidia-smi", "#!/bin/sh\n");
    char p[512];
    snprintf(p, sizeof p, "%s/usr/bin/nvidia-smi", root);
    assert_int_equal(chmod(p, 0755), 0);
    put("/usr/bin/plain", "");
    link_at("/usr/bin/smi-link", "/usr/bin/nvidia-smi");
    assert_true(gm_host_is_executable(root, "/usr/bin/nvidia-smi"));
    assert_true(gm_host_is_executable(root, "/usr/bin/smi-link"));
    assert_false(gm_host_is_executable(root, "/usr/bin/plain"));
    assert_false(gm_host_is_executable(root, "/usr/bin"));
    /* /bin/sh exists on the host; under the root it does not. */
    link_at("/usr/bin/sh-link", "/bin/sh");
    struct stat st;
    assert_int_equal(gm_host_stat(root, "/usr/bin/sh-link", true, &st), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(gm_host_stat(root, "/usr/bin/sh-link", false, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(gm_host_stat(root, "/usr/bin/smi-link", true, &st), 0);
    assert_true(S_ISREG(st.st_mode));

    put("/usr/local/cuda-12.4/compat/libcuda.so.550.54.15", "");
    put("/opt/cuda-12.8/compat/libcuda.so.570.86.10", "");
    link_at("/usr/local/cuda-12.8", "/opt/cuda-12.8");
    put("/usr/local/cuda-11.8/bin/nvcc", ""); /* no compat directory */
    put("/usr/local/bin/x", "");
    gm_strlist dirs = {0};
    assert_int_equal(gm_host_cuda_compat_dirs(root, &dirs, NULL), 0);
    assert_int_equal(dirs.n, 2);
    assert_string_equal(dirs.items[0], "/usr/local/cuda-12.4/compat");
    assert_string_equal(dirs.items[1], "/opt/cuda-12.8/compat");
    gm_strlist_free(&dirs);

    put("/proc/driver/nvidia/gpus/0000:3b:00.0/information", "Device Minor: \t 1\n");
    gm_strlist bus = {0};
    assert_int_equal(gm_host_gpus(root, &bus, NULL), 0);
    assert_true(bus.n >= 1);
    char *text = NULL;
    assert_int_equal(gm_host_gpu_information(root, "0000:3b:00.0", &text, NULL, NULL), 0);
    assert_non_null(strstr(text, "Device Minor"));
    free(text);
    gm_strlist_free(&bus);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_nvrm), cmocka_unit_test(version_file),
        cmocka_unit_test(fifo_and_oversized), cmocka_unit_test(resolve_and_list),
        cmocka_unit_test(proc_devices), cmocka_unit_test(stat_exec_compat),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
