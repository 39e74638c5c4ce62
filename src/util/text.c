/* Untrusted text on its way out: to a terminal (control characters escaped,
 * so a tar member name or a hostname cannot move the cursor or rewrite a
 * line) and into JSON (jansson refuses invalid UTF-8; the caller must know,
 * never silently drop the string). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

void gm_fputs_safe(FILE *f, const char *s) {
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c >= 0x20 && *c != 0x7f) { /* a run of plain bytes in one write */
            const unsigned char *e = c;
            while (*e >= 0x20 && *e != 0x7f)
                e++;
            fwrite(c, 1, (size_t)(e - c), f);
            c = e - 1;
            continue;
        }
        switch (*c) {
        case '\n': fputs("\\n", f); break;
        case '\t': fputs("\\t", f); break;
        case '\r': fputs("\\r", f); break;
        default: fprintf(f, "\\x%02x", *c); break;
        }
    }
}

char *gm_escape_ctl(const char *s) {
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f)
        return NULL;
    gm_fputs_safe(f, s ? s : "");
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

/* Offset of the first byte that does not start a valid UTF-8 sequence
 * (RFC 3629: no overlongs, no surrogates, at most U+10FFFF), or -1. */
long gm_utf8_bad_offset(const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        size_t k;
        unsigned lo = 0x80, hi = 0xbf;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            k = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 2;
            if (c == 0xe0) lo = 0xa0;
            if (c == 0xed) hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3;
            if (c == 0xf0) lo = 0x90;
            if (c == 0xf4) hi = 0x8f;
        } else {
            return (long)i;
        }
        if (n - i <= k)
            return (long)i;
        if (p[i + 1] < lo || p[i + 1] > hi)
            return (long)i;
        for (size_t j = 2; j <= k; j++)
            if (p[i + j] < 0x80 || p[i + j] > 0xbf)
                return (long)i;
        i += k + 1;
    }
    return -1;
}

int gm_utf8_check(const char *s, const char *what, gm_error *err) {
    if (!s)
        return 0;
    long bad = gm_utf8_bad_offset(s, strlen(s));
    if (bad < 0)
        return 0;
    /* shown as ASCII: the message goes to a terminal and must stay UTF-8 */
    char *shown = malloc(4 * strlen(s) + 1), *o = shown;
    for (const unsigned char *c = (const unsigned char *)s; shown && *c; c++)
        o += *c >= 0x20 && *c < 0x7f ? sprintf(o, "%c", *c) : sprintf(o, "\\x%02x", *c);
    char q[64];
    int rc = gm_error_set(err, GM_EINVAL,
                          "%s \"%s\": not valid UTF-8 (byte 0x%02x at offset %ld); JSON cannot "
                          "carry it unchanged",
                          what, gm_quote(shown ? shown : "?", q), (unsigned char)s[bad], bad);
    free(shown);
    return rc;
}

json_t *gm_json_text(const char *s, const char *what, gm_error *err) {
    if (!s) {
        gm_error_set(err, GM_EINVAL, "%s: missing text", what);
        return NULL;
    }
    if (gm_utf8_check(s, what, err) < 0)
        return NULL;
    json_t *j = json_string(s);
    if (!j)
        gm_error_set(err, GM_ENOMEM, "out of memory");
    return j;
}

/* Suggestions ("did you mean --require?") for verbs, options and JSON fields. */
static size_t edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b), row[64];
    if (la >= 63 || lb >= 63)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[lb];
}

bool gm_close_word(const char *typed, const char *word, size_t *best) {
    /* at most two edits away, and less than half the word */
    size_t d = edit_distance(typed, word), lt = strlen(typed), lw = strlen(word);
    /* a truncation ("min_memory" for "min_memory_mib") counts as one edit */
    if (lt * 2 > lw && lt < lw && !strncmp(typed, word, lt))
        d = 1;
    if (d < *best && d * 2 < lw) {
        *best = d;
        return true;
    }
    return false;
}
