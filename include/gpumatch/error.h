/* Errors travel as values: every fallible call takes a gm_error* and returns
 * 0 on success or a negative gm_status. The message names the input that was
 * wrong (file, JSON path, offset) so the CLI can print it as one line.
 *
 * Rules for every function taking `gm_error *err`:
 * - err may be NULL: the call behaves the same and only loses the message.
 * - The return value is the status; err->code repeats it for convenience.
 *   Decide on the code, never on the message text. */
#ifndef GPUMATCH_ERROR_H
#define GPUMATCH_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    GM_OK = 0,
    GM_EINVAL = -1,       /* bad input: bad version, bad JSON, unknown field, a
                             FIFO or oversized file where a small file belongs */
    GM_EIO = -2,          /* system error: a file exists but reading/writing failed */
    GM_ENOMEM = -3,
    GM_ENOTFOUND = -4,    /* an input the caller named does not exist */
    GM_EUNSUPPORTED = -5, /* valid input gpumatch does not handle (e.g. ROCm) */
    GM_EFORMAT = -6,      /* binary format error: truncated ELF, bad fat binary */
    GM_EBACKEND = -7,     /* a driver library is present but failed */
    GM_EABSENT = -8,      /* a source gpumatch looks for on the host is not there
                             (a library, a tool, a /proc file): try another */
    GM_ENODRIVER = -9     /* the host has no NVIDIA driver: every source absent,
                             or the one present says none is loaded */
} gm_status;

#define GM_ERROR_MSG_MAX 1024

typedef struct gm_error {
    int code;
    char msg[GM_ERROR_MSG_MAX];
} gm_error;

/* Sets err (if non-NULL) and returns code, so `return gm_error_set(...)` works. */
int gm_error_set(gm_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefixes an existing message with context ("FILE: "), keeping the code.
 * Returns err->code, or GM_EINVAL when err is NULL: a caller that must pass
 * on another code returns its own rc. */
int gm_error_prefix(gm_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void gm_error_clear(gm_error *err);
const char *gm_status_name(int code);

#ifdef __cplusplus
}
#endif
#endif
