/* The version-file parser under gm_driver_files_find (advanced API: tests
 * and fuzzers). */
#ifndef GPUMATCH_SYS_DRIVERFILES_H
#define GPUMATCH_SYS_DRIVERFILES_H

#include <stddef.h>
#include "gpumatch/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Version from /proc/driver/nvidia/version text, as gm_host_parse_nvrm (which
 * see; GM_EINVAL), with origin prefixed to the message. */
int gm_driver_version_from_proc(const char *text, char *buf, size_t len, const char *origin,
                                gm_error *err);

#ifdef __cplusplus
}
#endif
#endif
