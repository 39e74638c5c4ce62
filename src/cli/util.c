/* Shared CLI plumbing: error printing, exit codes, output files. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "cli/cli.h"
#include "gpumatch/io.h"

void gm_cli_errorf(const char *verb, const char *fmt, ...) {
    va_list ap;
    char *msg = NULL;
    va_start(ap, fmt);
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "gpumatch %s: ", verb);
    /* names from images and documents may hold newlines or ESC sequences:
     * the message stays one line and cannot drive the terminal */
    gm_fputs_safe(stderr, n >= 0 && msg ? msg : "(message lost: out of memory)");
    free(msg);
    fputc('\n', stderr);
}

void gm_cli_error(const char *verb, const gm_error *err) {
    gm_cli_errorf(verb, "%s", err->msg[0] ? err->msg : gm_status_name(err->code));
}

int gm_cli_exit_for(int status) {
    switch (status) {
    case GM_OK: return GM_EXIT_OK;
    case GM_ENOTFOUND:
    case GM_EABSENT:
    case GM_ENODRIVER:
    case GM_EBACKEND:
    case GM_EUNSUPPORTED: return GM_EXIT_ENV;
    default: return GM_EXIT_INPUT;
    }
}

int gm_cli_output(const char *verb, const char *path, const char *text) {
    gm_error err = {0};
    if (!path || !strcmp(path, "-")) {
        if (fputs(text, stdout) < 0 || fflush(stdout) != 0) {
            gm_cli_errorf(verb, "cannot write to standard output");
            return GM_EXIT_INPUT;
        }
        return GM_EXIT_OK;
    }
    if (gm_write_file_atomic(path, text, strlen(text), &err) < 0) {
        gm_cli_error(verb, &err);
        return GM_EXIT_INPUT;
    }
    return GM_EXIT_OK;
}

int gm_cli_width(void) {
    const char *c = getenv("COLUMNS");
    if (c && *c) {
        char *end;
        long v = strtol(c, &end, 10);
        if (!*end && v > 0 && v < 100000)
            return (int)v;
    }
    struct winsize ws;
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 0; /* a pipe or file: no limit, nothing elided */
}

char *gm_cli_asprintf(const char *fmt, ...) {
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    return n < 0 ? NULL : s;
}
