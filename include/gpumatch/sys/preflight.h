/* The /proc parsers under gm_preflight (advanced API: tests and fuzzers; the
 * same rules as gpumatch/sys/host.h's gm_host_parse_nvrm and
 * gm_host_proc_devices_major). */
#ifndef GPUMATCH_SYS_PREFLIGHT_H
#define GPUMATCH_SYS_PREFLIGHT_H

#include <stddef.h>
#include "gpumatch/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Driver version from /proc/driver/nvidia/version text ("NVRM version: ..."). */
int gm_pf_parse_nvrm(const char *text, size_t len, char *ver, size_t verlen, gm_error *err);
/* Character-device major registered under name in /proc/devices text; -1 if absent. */
int gm_pf_proc_devices_major(const char *text, size_t len, const char *name);

#ifdef __cplusplus
}
#endif
#endif
