/* gm_error: a code plus a one-line message, filled where the problem is seen. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "gpumatch/error.h"

int gm_error_set(gm_error *err, int code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

int gm_error_prefix(gm_error *err, const char *fmt, ...) {
    if (!err)
        return GM_EINVAL; /* callers that need the code exact keep their rc */
    char prefix[GM_ERROR_MSG_MAX], old[GM_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s%s", prefix, old);
    return err->code;
}

void gm_error_clear(gm_error *err) {
    if (err) {
        err->code = GM_OK;
        err->msg[0] = '\0';
    }
}

const char *gm_status_name(int code) {
    switch (code) {
    case GM_OK: return "ok";
    case GM_EINVAL: return "invalid input";
    case GM_EIO: return "I/O error";
    case GM_ENOMEM: return "out of memory";
    case GM_ENOTFOUND: return "not found";
    case GM_EUNSUPPORTED: return "unsupported";
    case GM_EFORMAT: return "bad binary format";
    case GM_EBACKEND: return "driver library failed";
    case GM_EABSENT: return "source absent";
    case GM_ENODRIVER: return "no NVIDIA driver";
    default: return "unknown error";
    }
}
