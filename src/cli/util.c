/* Shared CLI plumbing: error printing, exit codes, output files. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
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

/* A progress line on a terminal's stderr: files and bytes so far and the
 * rate, redrawn at most PROGRESS_HZ times a second, from the first half
 * second on (quick runs show nothing), cleared at the end. */
#define PROGRESS_HZ 4

bool gm_cli_quiet;

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void show_progress(void *ctx, const gm_inspect_progress *p) {
    gm_cli_progress *l = ctx;
    double t = now_s();
    if (t - l->start < 0.5 || t - l->last < 1.0 / PROGRESS_HZ)
        return;
    l->last = t;
    l->shown = true;
    double mib = (double)p->bytes / 1048576.0;
    fprintf(stderr, "\r\033[Kinspect: %zu file%s, %.0f MiB, %.0f MiB/s", p->files,
            p->files == 1 ? "" : "s", mib, mib / (t - l->start));
    fflush(stderr);
}

void gm_cli_progress_attach(gm_cli_progress *l, gm_inspect *in) {
    *l = (gm_cli_progress){.start = now_s()};
    if (!gm_cli_quiet && isatty(STDERR_FILENO)) {
        in->on_progress = show_progress;
        in->on_progress_ctx = l;
    }
}

void gm_cli_progress_clear(gm_cli_progress *l) {
    if (l->shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    l->shown = false;
}
