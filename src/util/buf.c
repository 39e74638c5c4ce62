/* Growable text buffer. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "internal.h"

void gm_buf_printf(gm_buf *b, const char *fmt, ...) {
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0) { b->oom = true; return; }
        if (b->s && (size_t)n < room) { b->len += (size_t)n; return; }
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len <= (size_t)n) cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) { b->oom = true; return; }
        b->s = p;
        b->cap = cap;
    }
}

char *gm_buf_finish(gm_buf *b, gm_error *err) {
    if (b->oom || !b->s) {
        free(b->s);
        b->s = NULL;
        if (b->oom) { gm_error_set(err, GM_ENOMEM, "out of memory"); return NULL; }
        return calloc(1, 1);
    }
    char *s = b->s;
    b->s = NULL;
    return s;
}

