/* Index of an uncompressed tar (the outer `docker save` / OCI archive):
 * member names and data offsets, so each layer can later be streamed from
 * its byte range without extracting anything. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "image/image_internal.h"
#include "internal.h"

#define TAR_BLOCK 512u
#define MAX_META (1u << 20) /* long names and pax records */

static uint64_t parse_octal(const unsigned char *f, size_t n, bool *ok) {
    uint64_t v = 0;
    size_t i = 0;
    while (i < n && (f[i] == ' ' || f[i] == '\0'))
        i++;
    if (i == n) {
        return 0;
    }
    for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
        if (v >> 60) {
            *ok = false;
            return 0;
        }
        v = v * 8 + (uint64_t)(f[i] - '0');
    }
    for (; i < n; i++)
        if (f[i] != ' ' && f[i] != '\0')
            *ok = false;
    return v;
}

/* GNU base-256 for sizes >= 8 GiB, else octal. */
static uint64_t parse_num(const unsigned char *f, size_t n, bool *ok) {
    if (f[0] & 0x80) {
        if (f[0] != 0x80) { /* negative or absurdly large */
            *ok = false;
            return 0;
        }
        uint64_t v = 0;
        for (size_t i = 1; i < n; i++) {
            if (v >> 56) {
                *ok = false;
                return 0;
            }
            v = (v << 8) | f[i];
        }
        return v;
    }
    return parse_octal(f, n, ok);
}

bool gm_tar_is_header(const unsigned char *b) {
    bool ok = true;
    uint64_t want = parse_octal(b + 148, 8, &ok);
    if (!ok)
        return false;
    uint64_t sum = 0;
    int64_t ssum = 0;
    bool any = false;
    for (size_t i = 0; i < TAR_BLOCK; i++) {
        unsigned char c = (i >= 148 && i < 156) ? ' ' : b[i];
        sum += c;
        ssum += (signed char)c;
        if (b[i])
            any = true;
    }
    return any && (sum == want || (uint64_t)ssum == want);
}

static int read_at(int fd, uint64_t off, void *buf, size_t n) {
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(fd, (char *)buf + done, n - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        done += (size_t)r;
    }
    return 0;
}

static char *field_str(const unsigned char *f, size_t n) {
    size_t l = 0;
    while (l < n && f[l])
        l++;
    return gm_strndup((const char *)f, l);
}

/* pax records "LEN key=value\n"; takes path, linkpath and size. */
static int parse_pax(const char *d, size_t n, char **path, char **linkpath, uint64_t *size,
                     bool *has_size) {
    size_t i = 0;
    while (i < n) {
        size_t len = 0, j = i;
        while (j < n && d[j] >= '0' && d[j] <= '9' && len < n)
            len = len * 10 + (size_t)(d[j++] - '0');
        if (j >= n || d[j] != ' ' || len == 0 || len > n - i || d[i + len - 1] != '\n')
            return -1;
        const char *kv = d + j + 1, *end = d + i + len - 1;
        const char *eq = memchr(kv, '=', (size_t)(end - kv));
        if (!eq)
            return -1;
        size_t kl = (size_t)(eq - kv);
        const char *v = eq + 1;
        size_t vl = (size_t)(end - v);
        if (kl == 4 && !memcmp(kv, "path", 4)) {
            free(*path);
            *path = gm_strndup(v, vl);
        } else if (kl == 8 && !memcmp(kv, "linkpath", 8)) {
            free(*linkpath);
            *linkpath = gm_strndup(v, vl);
        } else if (kl == 4 && !memcmp(kv, "size", 4)) {
            uint64_t s = 0;
            if (vl == 0 || vl > 19)
                return -1;
            for (size_t k = 0; k < vl; k++) {
                if (v[k] < '0' || v[k] > '9')
                    return -1;
                s = s * 10 + (uint64_t)(v[k] - '0');
            }
            *size = s;
            *has_size = true;
        }
        i += len;
    }
    return 0;
}

int gm_tar_index_build(int fd, uint64_t fsize, const char *origin, gm_tar_index *ix,
                       gm_error *err) {
    unsigned char b[TAR_BLOCK];
    uint64_t pos = 0;
    char *longname = NULL, *longlink = NULL, *paxpath = NULL, *paxlink = NULL;
    uint64_t paxsize = 0;
    bool has_paxsize = false;
    int rc = 0;
    memset(ix, 0, sizeof *ix);
    for (;;) {
        if (pos + TAR_BLOCK > fsize) {
            if (pos == fsize && ix->n > 0)
                break; /* no end-of-archive blocks; GNU tar accepts that too */
            rc = gm_error_set(err, GM_EFORMAT, "%s: truncated tar archive at offset %llu",
                              origin, (unsigned long long)pos);
            goto out;
        }
        if (read_at(fd, pos, b, TAR_BLOCK) < 0) {
            rc = gm_error_set(err, GM_EIO, "%s: read error at offset %llu", origin,
                              (unsigned long long)pos);
            goto out;
        }
        bool zero = true;
        for (size_t i = 0; i < TAR_BLOCK && zero; i++)
            zero = b[i] == 0;
        if (zero)
            break;
        if (!gm_tar_is_header(b)) {
            rc = gm_error_set(err, GM_EFORMAT, "%s: bad tar header checksum at offset %llu",
                              origin, (unsigned long long)pos);
            goto out;
        }
        bool ok = true;
        uint64_t size = parse_num(b + 124, 12, &ok);
        char type = (char)b[156];
        if (has_paxsize && type != 'x' && type != 'g' && type != 'L' && type != 'K')
            size = paxsize;
        if (!ok) {
            rc = gm_error_set(err, GM_EFORMAT, "%s: bad size field in tar header at offset %llu",
                              origin, (unsigned long long)pos);
            goto out;
        }
        uint64_t data = pos + TAR_BLOCK;
        if (type == '1' || type == '2' || type == '5')
            size = 0; /* links and directories carry no data whatever the header says */
        if (size > fsize - data) {
            rc = gm_error_set(err, GM_EFORMAT,
                              "%s: truncated tar archive: member at offset %llu needs %llu "
                              "bytes, %llu left",
                              origin, (unsigned long long)pos, (unsigned long long)size,
                              (unsigned long long)(fsize - data));
            goto out;
        }
        uint64_t next = data + ((size + TAR_BLOCK - 1) / TAR_BLOCK) * TAR_BLOCK;
        if (type == 'L' || type == 'K' || type == 'x' || type == 'g') {
            if (size > MAX_META) {
                rc = gm_error_set(err, GM_EFORMAT, "%s: tar metadata too large at offset %llu",
                                  origin, (unsigned long long)pos);
                goto out;
            }
            if (type != 'g') {
                char *d = malloc((size_t)size + 1);
                if (!d) {
                    rc = gm_error_set(err, GM_ENOMEM, "out of memory");
                    goto out;
                }
                if (read_at(fd, data, d, (size_t)size) < 0) {
                    free(d);
                    rc = gm_error_set(err, GM_EIO, "%s: read error at offset %llu", origin,
                                      (unsigned long long)data);
                    goto out;
                }
                d[size] = '\0';
                if (type == 'x') {
                    int pr = parse_pax(d, (size_t)size, &paxpath, &paxlink, &paxsize,
                                       &has_paxsize);
                    free(d);
                    if (pr < 0) {
                        rc = gm_error_set(err, GM_EFORMAT,
                                          "%s: malformed pax header at offset %llu", origin,
                                          (unsigned long long)pos);
                        goto out;
                    }
                } else if (type == 'L') {
                    free(longname);
                    longname = d;
                } else {
                    free(longlink);
                    longlink = d;
                }
            }
            pos = next;
            continue;
        }
        char *raw;
        if (paxpath)
            raw = gm_strdup(paxpath);
        else if (longname)
            raw = gm_strdup(longname);
        else if (!memcmp(b + 257, "ustar", 5) && b[345]) {
            char *pre = field_str(b + 345, 155), *nm = field_str(b, 100);
            raw = (pre && nm) ? gm_asprintf("%s/%s", pre, nm) : NULL;
            free(pre);
            free(nm);
        } else
            raw = field_str(b, 100);
        char *link = paxlink ? gm_strdup(paxlink)
                     : longlink ? gm_strdup(longlink)
                                : field_str(b + 157, 100);
        char clean[4096];
        int cr = raw ? gm_img_clean_path(raw, clean, sizeof clean) : -1;
        free(raw);
        if (!link || cr < 0 || cr == 1) {
            /* escaping or absurd names cannot be referenced by a manifest anyway */
            free(link);
        } else {
            if (gm_grow((void **)&ix->m, &ix->cap, ix->n + 1, sizeof *ix->m) < 0) {
                free(link);
                rc = gm_error_set(err, GM_ENOMEM, "out of memory");
                goto out;
            }
            gm_tar_member *m = &ix->m[ix->n];
            m->name = gm_strdup(clean);
            if (type == '1' || type == '2') {
                m->link = link;
            } else {
                m->link = NULL;
                free(link);
            }
            m->off = data;
            m->size = size;
            m->type = type;
            if (!m->name) {
                free(m->link);
                rc = gm_error_set(err, GM_ENOMEM, "out of memory");
                goto out;
            }
            ix->n++;
        }
        free(longname);
        free(longlink);
        free(paxpath);
        free(paxlink);
        longname = longlink = paxpath = paxlink = NULL;
        has_paxsize = false;
        pos = next;
    }
out:
    free(longname);
    free(longlink);
    free(paxpath);
    free(paxlink);
    if (rc < 0)
        gm_tar_index_free(ix);
    return rc;
}

static const gm_tar_member *find_exact(const gm_tar_index *ix, const char *name) {
    for (size_t i = ix->n; i-- > 0;) /* a later duplicate wins, as when extracting */
        if (!strcmp(ix->m[i].name, name))
            return &ix->m[i];
    return NULL;
}

const gm_tar_member *gm_tar_index_find(const gm_tar_index *ix, const char *name) {
    char cur[4096], tmp[8192];
    if (gm_img_clean_path(name, cur, sizeof cur) != 0)
        return NULL;
    for (int depth = 0; depth < 16; depth++) {
        const gm_tar_member *m = find_exact(ix, cur);
        if (!m || (m->type != '1' && m->type != '2'))
            return m;
        if (m->type == '1' || m->link[0] == '/') {
            snprintf(tmp, sizeof tmp, "%s", m->link);
        } else {
            const char *slash = strrchr(cur, '/');
            int dl = slash ? (int)(slash - cur) : 0;
            snprintf(tmp, sizeof tmp, "%.*s/%s", dl, cur, m->link);
        }
        if (gm_img_clean_path(tmp, cur, sizeof cur) != 0)
            return NULL;
    }
    return NULL; /* link loop */
}

void gm_tar_index_free(gm_tar_index *ix) {
    for (size_t i = 0; i < ix->n; i++) {
        free(ix->m[i].name);
        free(ix->m[i].link);
    }
    free(ix->m);
    memset(ix, 0, sizeof *ix);
}
