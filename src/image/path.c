/* Path hygiene for names read from images: they are untrusted. */
#include <string.h>
#include "image/image_internal.h"

int gm_img_clean_path(const char *in, char *out, size_t n) {
    size_t len = 0;
    if (n == 0)
        return -1;
    out[0] = '\0';
    const char *p = in;
    while (*p) {
        while (*p == '/')
            p++;
        const char *s = p;
        while (*p && *p != '/')
            p++;
        size_t cl = (size_t)(p - s);
        if (cl == 0 || (cl == 1 && s[0] == '.'))
            continue;
        if (cl == 2 && s[0] == '.' && s[1] == '.') {
            if (len == 0)
                return 1; /* climbs above the root */
            while (len > 0 && out[len - 1] != '/')
                len--;
            if (len > 0)
                len--; /* the '/' before the dropped part */
            out[len] = '\0';
            continue;
        }
        size_t need = len + (len ? 1 : 0) + cl + 1;
        if (need > n)
            return -1;
        if (len)
            out[len++] = '/';
        memcpy(out + len, s, cl);
        len += cl;
        out[len] = '\0';
    }
    return 0;
}

/* Stricter than the OCI grammar (no separators): real algorithms are
 * sha256/sha512/blake3, and this keeps "." and "/" out of blob paths. */
static bool is_alg_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int gm_img_digest_path(const char *digest, char *out, size_t n) {
    const char *colon = strchr(digest, ':');
    if (!colon || colon == digest)
        return -1;
    for (const char *c = digest; c < colon; c++)
        if (!is_alg_char(*c))
            return -1;
    size_t hl = strlen(colon + 1);
    if (hl < 32 || hl > 128)
        return -1;
    for (const char *c = colon + 1; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
            return -1;
    size_t al = (size_t)(colon - digest);
    if (6 + al + 1 + hl + 1 > n)
        return -1;
    memcpy(out, "blobs/", 6);
    memcpy(out + 6, digest, al);
    out[6 + al] = '/';
    memcpy(out + 7 + al, colon + 1, hl + 1);
    return 0;
}
