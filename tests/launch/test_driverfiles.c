/* Driver file discovery over the fake driver root of mkroot.sh. Expected
 * files are the ones that script creates (names, versions, directories). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "gpumatch/driverfiles.h"
#include "gpumatch/sys/driverfiles.h"
#include "internal.h"
#include "launch/fakeroot.h"

#define VER "535.104.05"
#define LIBDIR "/usr/lib/x86_64-linux-gnu/"

static const gm_driver_file *find(const gm_driver_files *f, const char *path) {
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->files[i].path, path) == 0)
            return &f->files[i];
    return NULL;
}

static size_t count_kind(const gm_driver_files *f, gm_df_kind k) {
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++)
        n += f->files[i].kind == k;
    return n;
}

static void load(gm_driver_files *f, unsigned caps, const char *ver) {
    gm_driver_files_opts o = {.root = gm_test_root, .caps = caps, .driver_version = ver};
    gm_error err = {0};
    if (gm_driver_files_find(&o, f, &err) < 0)
        fail_msg("%s", err.msg);
}

static void test_compute_utility(void **state) {
    gm_driver_files f;
    load(&f, 0, NULL);
    assert_string_equal(f.driver_version, VER);
    assert_string_equal(f.driver_source, "/proc/driver/nvidia/version");
    /* mkroot.sh: compute libs libcuda, libcudadebugger, libnvidia-ptxjitcompiler,
     * libnvidia-nvvm, libnvidia-opencl, libnvidia-gpucomp, libnvidia-allocator;
     * utility libnvidia-ml, libnvidia-cfg. */
    const char *compute[] = {"libcuda", "libcudadebugger", "libnvidia-ptxjitcompiler",
                             "libnvidia-nvvm", "libnvidia-opencl", "libnvidia-gpucomp",
                             "libnvidia-allocator"};
    for (size_t i = 0; i < 7; i++) {
        char *p = gm_asprintf(LIBDIR "%s.so." VER, compute[i]);
        const gm_driver_file *d = find(&f, p);
        if (!d)
            fail_msg("%s not found", p);
        assert_int_equal(d->kind, GM_DF_LIBRARY);
        assert_int_equal(d->cap, GM_CAP_COMPUTE);
        free(p);
    }
    const gm_driver_file *cuda = find(&f, LIBDIR "libcuda.so." VER);
    assert_string_equal(cuda->soname, "libcuda.so.1");
    assert_string_equal(cuda->link, LIBDIR "libcuda.so.1");
    assert_string_equal(find(&f, LIBDIR "libnvidia-nvvm.so." VER)->soname, "libnvidia-nvvm.so.4");
    assert_int_equal(find(&f, LIBDIR "libnvidia-ml.so." VER)->cap, GM_CAP_UTILITY);
    assert_non_null(find(&f, LIBDIR "libnvidia-cfg.so." VER));
    assert_int_equal(count_kind(&f, GM_DF_LIBRARY), 9);
    /* Not driver libraries / not this ABI / not asked for. */
    assert_null(find(&f, LIBDIR "libcudart.so.12.2.140"));
    assert_null(find(&f, "/usr/lib/i386-linux-gnu/libcuda.so." VER));
    assert_null(find(&f, LIBDIR "libnvidia-encode.so." VER));
    assert_null(find(&f, LIBDIR "libGLX_nvidia.so." VER));
    /* The stale 470 libraries are reported, never listed as files. */
    assert_null(find(&f, "/usr/local/lib/libcuda.so.470.57.02"));
    assert_int_equal(f.n_stale, 2);
    for (size_t i = 0; i < f.n_stale; i++) {
        assert_string_equal(f.stale[i].version, "470.57.02");
        assert_non_null(strstr(f.stale[i].path, "/usr/local/lib/lib"));
        assert_non_null(strstr(f.stale[i].reason, VER));
    }
    assert_int_equal(f.missing.n, 0);
    /* Binaries: all five, utility and compute. */
    assert_int_equal(find(&f, "/usr/bin/nvidia-smi")->cap, GM_CAP_UTILITY);
    assert_int_equal(find(&f, "/usr/bin/nvidia-cuda-mps-server")->cap, GM_CAP_COMPUTE);
    assert_int_equal(count_kind(&f, GM_DF_BINARY), 5);
    /* Firmware of this version only. */
    assert_non_null(find(&f, "/lib/firmware/nvidia/" VER "/gsp_ga10x.bin"));
    assert_non_null(find(&f, "/lib/firmware/nvidia/" VER "/gsp_tu10x.bin"));
    assert_int_equal(count_kind(&f, GM_DF_FIRMWARE), 2);
    assert_non_null(find(&f, "/run/nvidia-persistenced/socket"));
    gm_driver_files_free(&f);
}

/* Device nodes agree with what stat() says of the fixture's files. */
static void test_device_nodes(void **state) {
    gm_driver_files f;
    load(&f, 0, NULL);
    const char *nodes[] = {"/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools",
                           "/dev/nvidia-modeset", "/dev/nvidia0", "/dev/nvidia1",
                           "/dev/nvidia-caps/nvidia-cap1", "/dev/nvidia-caps/nvidia-cap2"};
    for (size_t i = 0; i < 8; i++) {
        const gm_driver_file *d = find(&f, nodes[i]);
        if (!d)
            fail_msg("%s not found", nodes[i]);
        char *full = gm_asprintf("%s%s", gm_test_root, nodes[i]);
        struct stat st;
        assert_int_equal(lstat(full, &st), 0);
        free(full);
        assert_int_equal(d->kind, GM_DF_DEVICE);
        assert_int_equal(d->is_char_device, S_ISCHR(st.st_mode) ? 1 : 0);
        if (d->is_char_device) {
            assert_int_equal(d->major, major(st.st_rdev));
            assert_int_equal(d->minor, minor(st.st_rdev));
        } else {
            assert_int_equal(d->major, -1);
        }
    }
    assert_int_equal(find(&f, "/dev/nvidia1")->gpu_index, 1);
    assert_int_equal(find(&f, "/dev/nvidiactl")->gpu_index, -1);
    assert_int_equal(count_kind(&f, GM_DF_DEVICE), 8);
    gm_driver_files_free(&f);
}

static void test_capabilities(void **state) {
    gm_driver_files f;
    load(&f, GM_CAP_UTILITY, NULL);
    assert_null(find(&f, LIBDIR "libcuda.so." VER));
    assert_null(find(&f, "/usr/bin/nvidia-cuda-mps-control"));
    assert_non_null(find(&f, LIBDIR "libnvidia-ml.so." VER));
    gm_driver_files_free(&f);
    load(&f, GM_CAP_ALL, NULL);
    assert_int_equal(find(&f, LIBDIR "libnvcuvid.so." VER)->cap, GM_CAP_VIDEO);
    assert_int_equal(find(&f, LIBDIR "libGLX_nvidia.so." VER)->cap, GM_CAP_GRAPHICS);
    assert_string_equal(find(&f, LIBDIR "libGLX_nvidia.so." VER)->soname, "libGLX_nvidia.so.0");
    assert_int_equal(find(&f, LIBDIR "libnvidia-glcore.so." VER)->cap, GM_CAP_GRAPHICS);
    gm_driver_files_free(&f);

    unsigned caps;
    gm_error err = {0};
    assert_int_equal(gm_driver_caps_parse("compute,utility", &caps, &err), 0);
    assert_int_equal(caps, GM_CAP_COMPUTE | GM_CAP_UTILITY);
    assert_int_equal(gm_driver_caps_parse("all", &caps, &err), 0);
    assert_int_equal(caps, GM_CAP_ALL);
    assert_int_equal(gm_driver_caps_parse("compute,display", &caps, &err), GM_EINVAL);
    assert_non_null(strstr(err.msg, "\"display\""));
    assert_int_equal(gm_driver_caps_parse("compute,", &caps, &err), GM_EINVAL);
    char *s = gm_driver_caps_str(GM_CAP_VIDEO | GM_CAP_COMPUTE);
    assert_string_equal(s, "compute,video");
    free(s);
}

/* A given version that differs from the kernel module's: the 470 files are
 * taken, the 535 ones become stale, and the mismatch is a warning. */
static void test_given_version(void **state) {
    gm_driver_files f;
    load(&f, 0, "470.57.02");
    assert_string_equal(f.driver_source, "given");
    assert_non_null(find(&f, "/usr/local/lib/libcuda.so.470.57.02"));
    assert_null(find(&f, LIBDIR "libcuda.so." VER));
    assert_int_equal(f.warnings.n, 1);
    assert_non_null(strstr(f.warnings.items[0], "mismatch"));
    assert_int_equal(count_kind(&f, GM_DF_FIRMWARE), 0); /* no firmware dir for 470 */
    gm_driver_files_free(&f);

    gm_driver_files_opts o = {.root = gm_test_root, .driver_version = "../../etc"};
    gm_error err = {0};
    assert_int_equal(gm_driver_files_find(&o, &f, &err), GM_EINVAL);
}

/* Links are resolved inside the root: absolute targets stay in it and ".."
 * cannot climb out of it. */
static void test_links_stay_in_root(void **state) {
    char *link = gm_asprintf("%s" LIBDIR "libnvidia-cfg.so.1", gm_test_root);
    char *evil = gm_asprintf("%s" LIBDIR "libnvidia-opencl.so.1", gm_test_root);
    unlink(link);
    unlink(evil);
    assert_int_equal(symlink(LIBDIR "libnvidia-cfg.so." VER, link), 0);
    /* Climbs far past the root: must land on ROOT/etc/hostname, which does not exist. */
    assert_int_equal(symlink("../../../../../../../../../../etc/hostname", evil), 0);
    gm_driver_files f;
    load(&f, 0, NULL);
    assert_non_null(find(&f, LIBDIR "libnvidia-cfg.so." VER));
    assert_null(find(&f, LIBDIR "libnvidia-opencl.so." VER));
    for (size_t i = 0; i < f.n_stale; i++)
        assert_null(strstr(f.stale[i].path, "hostname"));
    bool warned = false;
    for (size_t i = 0; i < f.warnings.n; i++)
        warned |= strstr(f.warnings.items[i], "libnvidia-opencl.so.1") != NULL;
    assert_true(warned);
    gm_driver_files_free(&f);
    unlink(evil);
    assert_int_equal(symlink("libnvidia-opencl.so." VER, evil), 0);
    free(link);
    free(evil);
}

static void test_proc_version(void **state) {
    char buf[32];
    gm_error err = {0};
    /* Proprietary and open kernel module lines as the 535 driver writes them. */
    assert_int_equal(gm_driver_version_from_proc(
                         "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 "
                         "01:15:15 UTC 2023\nGCC version:  gcc version 12.2.0\n",
                         buf, sizeof buf, "v", &err),
                     0);
    assert_string_equal(buf, "535.104.05");
    assert_int_equal(gm_driver_version_from_proc(
                         "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  570.26  Release "
                         "Build  (dvs-builder@U16-I3-B03-4-3)  Thu Jan 16 21:31:13 UTC 2025\n",
                         buf, sizeof buf, "v", &err),
                     0);
    assert_string_equal(buf, "570.26");
    assert_int_equal(gm_driver_version_from_proc("GCC version: 12.2\n", buf, sizeof buf, "v", &err),
                     GM_EINVAL);
    assert_int_equal(gm_driver_version_from_proc("NVRM version: NVIDIA UNIX Kernel Module\n12.2",
                                                 buf, sizeof buf, "v", &err),
                     GM_EINVAL);
}

static void test_no_driver(void **state) {
    gm_driver_files f;
    gm_driver_files_opts o = {.root = "/nonexistent-root"};
    gm_error err = {0};
    assert_int_equal(gm_driver_files_find(&o, &f, &err), GM_ENODRIVER);
    assert_non_null(strstr(err.msg, "/nonexistent-root/proc/driver/nvidia/version"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compute_utility), cmocka_unit_test(test_device_nodes),
        cmocka_unit_test(test_capabilities),    cmocka_unit_test(test_given_version),
        cmocka_unit_test(test_links_stay_in_root), cmocka_unit_test(test_proc_version),
        cmocka_unit_test(test_no_driver),
    };
    return cmocka_run_group_tests(tests, gm_test_root_setup, gm_test_root_teardown);
}
