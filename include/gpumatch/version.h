/* Versions and compute capabilities: parse, compare, print.
 * Parsers are strict: the whole string must match, numbers are bounded, and the
 * error message quotes the offending text (truncated for very long input). */
#ifndef GPUMATCH_VERSION_H
#define GPUMATCH_VERSION_H

#include <stdbool.h>
#include <stddef.h>
#include "gpumatch/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* NVIDIA driver version: 2 or 3 numeric parts ("570.26", "580.95.05"). */
typedef struct {
    int major, minor, patch;
    int nparts; /* 2 or 3 when parsed; 1 = a bare branch from the tables; 0 = unset */
} gm_driver_version;

/* CUDA version ("12.4"), as a toolkit release or as what a driver supports. */
typedef struct {
    int major, minor;
} gm_cuda_version;

/* Compute capability A.B. sm_XY names encode it as X = all but the last digit. */
typedef struct {
    int major, minor;
} gm_cc;

typedef enum { GM_KIND_CUBIN = 1, GM_KIND_PTX = 2 } gm_target_kind;
typedef enum { GM_VARIANT_PLAIN = 0, GM_VARIANT_ARCH = 'a', GM_VARIANT_FAMILY = 'f' } gm_variant;

/* A compilation target: sm_90a (cubin, arch-specific), compute_80 (PTX). */
typedef struct {
    gm_target_kind kind;
    gm_cc cc;
    gm_variant variant;
} gm_target;

/* Longest text any of the printers writes, with NUL. */
#define GM_VERSION_STR_MAX 32

int gm_driver_version_parse(const char *s, gm_driver_version *out, gm_error *err);
int gm_driver_version_cmp(const gm_driver_version *a, const gm_driver_version *b);
/* "580.95.05": NVIDIA prints the third part with two digits. */
char *gm_driver_version_str(const gm_driver_version *v, char buf[GM_VERSION_STR_MAX]);
bool gm_driver_version_is_set(const gm_driver_version *v);

/* "12.4", "13" (= 13.0); also the driver-API integer form "12040". */
int gm_cuda_version_parse(const char *s, gm_cuda_version *out, gm_error *err);
/* cuDriverGetVersion() value: 1000*major + 10*minor. */
int gm_cuda_version_from_int(long v, gm_cuda_version *out, gm_error *err);
int gm_cuda_version_to_int(const gm_cuda_version *v);
int gm_cuda_version_cmp(const gm_cuda_version *a, const gm_cuda_version *b);
char *gm_cuda_version_str(const gm_cuda_version *v, char buf[GM_VERSION_STR_MAX]);

/* "8.6" only. */
int gm_cc_parse(const char *s, gm_cc *out, gm_error *err);
/* Also "12.4.1" (CUDA_VERSION style; the update number does not change the rules). */
int gm_cuda_version_parse_release(const char *s, gm_cuda_version *out, gm_error *err);
/* A lower bound: also a bare branch "535" (any 535.x driver). */
int gm_driver_version_parse_min(const char *s, gm_driver_version *out, gm_error *err);
int gm_cc_cmp(const gm_cc *a, const gm_cc *b);
char *gm_cc_str(const gm_cc *v, char buf[GM_VERSION_STR_MAX]);
/* sm number as nvcc spells it: 8.6 -> 86, 10.0 -> 100. */
int gm_cc_to_sm(const gm_cc *v);
int gm_cc_from_sm(int sm, gm_cc *out, gm_error *err);

/* "sm_90a", "compute_100f", "sm_120". */
int gm_target_parse(const char *s, gm_target *out, gm_error *err);
/* A target or a bare capability ("8.0" -> default_kind, plain). */
int gm_target_parse_or_cc(const char *s, gm_target_kind default_kind, gm_target *out,
                          gm_error *err);
char *gm_target_str(const gm_target *t, char buf[GM_VERSION_STR_MAX]);
int gm_target_cmp(const gm_target *a, const gm_target *b);

#ifdef __cplusplus
}
#endif
#endif
