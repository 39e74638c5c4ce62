/* The node as its files show it, seen through a root ("/" or the mount point
 * of a node's file system): the NVIDIA kernel module's version and the
 * character-device majors. probe, preflight and launch all read through here. */
#ifndef GPUMATCH_HOST_H
#define GPUMATCH_HOST_H

#include <stddef.h>
#include "gpumatch/error.h"
#include "gpumatch/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest /proc text read whole (the real files are under 1 KiB). */
#define GM_HOST_PROC_MAX (64u * 1024u)

/* Driver version from /proc/driver/nvidia/version text: the first token of a
 * line starting "NVRM version:" that is a 2- or 3-part driver version
 * (proprietary "Kernel Module  535.104.05", open "Open Kernel Module for
 * x86_64  580.95.05"). v and buf (the version text) may each be NULL.
 * GM_EINVAL with the reason when there is no such line or token. */
int gm_host_parse_nvrm(const char *text, size_t len, gm_driver_version *v, char *buf,
                       size_t buflen, gm_error *err);

/* ROOT/proc/driver/nvidia/version read and parsed. GM_EABSENT when the file
 * is not there (no kernel module loaded); GM_EINVAL when it is not a regular
 * file, is over GM_HOST_PROC_MAX bytes or does not parse; GM_EIO otherwise.
 * The message names the file. root NULL or "" means "/". */
int gm_host_driver_version(const char *root, gm_driver_version *v, char *buf, size_t buflen,
                           gm_error *err);

/* Character-device major registered under exactly `name` in /proc/devices
 * text; -1 if there is none. */
int gm_host_proc_devices_major(const char *text, size_t len, const char *name);

#ifdef __cplusplus
}
#endif
#endif
