/* The forward-compatibility note of a CUDA compat libcuda: an ELF SHT_NOTE
 * section ".note.cuda.fwd_compatibility" whose note (name "NVIDIA Corporation")
 * carries JSON: {"Format":..., "CUDA Version":"12.8", "Driver":[535,550,...],
 * "Device":[...]}. NVIDIA's container toolkit (nvidia-cdi-hook cuda-compat) uses
 * the compat library only when the host driver's branch is in "Driver" and the
 * compat driver is newer than the host's. */
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "preflight/pf.h"

#define NOTE_NAME "NVIDIA Corporation"

static size_t align4(size_t n) { return (n + 3) & ~(size_t)3; }

static int parse_desc(const char *d, size_t n, pf_compat_note *out) {
    json_error_t je;
    while (n && !d[n - 1]) /* the description is NUL-padded */
        n--;
    json_t *j = json_loadb(d, n, 0, &je);
    if (!json_is_object(j)) {
        json_decref(j);
        return -1;
    }
    json_t *cv = json_object_get(j, "CUDA Version"), *drv = json_object_get(j, "Driver");
    if (json_is_string(cv))
        gm_cuda_version_parse(json_string_value(cv), &out->cuda, NULL);
    size_t i;
    json_t *e;
    if (json_is_array(drv))
        json_array_foreach(drv, i, e) {
            if (json_is_integer(e) && out->n_branches < PF_NOTE_MAX_BRANCHES)
                out->branches[out->n_branches++] = (int)json_integer_value(e);
        }
    out->present = json_is_array(drv);
    json_decref(j);
    return out->present ? 0 : -1;
}

int pf_compat_note_read(const unsigned char *data, size_t len, pf_compat_note *out) {
    memset(out, 0, sizeof *out);
    if (elf_version(EV_CURRENT) == EV_NONE)
        return -1;
    Elf *e = elf_memory((char *)data, len);
    if (!e)
        return -1;
    size_t shstrndx;
    int rc = -1;
    if (elf_kind(e) != ELF_K_ELF || elf_getshdrstrndx(e, &shstrndx) != 0)
        goto done;
    for (Elf_Scn *s = NULL; (s = elf_nextscn(e, s));) {
        GElf_Shdr sh;
        if (!gelf_getshdr(s, &sh) || sh.sh_type != SHT_NOTE)
            continue;
        const char *name = elf_strptr(e, shstrndx, sh.sh_name);
        if (!name || strcmp(name, ".note.cuda.fwd_compatibility"))
            continue;
        Elf_Data *d = elf_getdata(s, NULL);
        if (!d || !d->d_buf || d->d_size < 12)
            break;
        const unsigned char *p = d->d_buf;
        uint32_t namesz, descsz;
        memcpy(&namesz, p, 4);
        memcpy(&descsz, p + 4, 4);
        size_t off = 12 + align4(namesz);
        if (namesz < sizeof NOTE_NAME - 1 || namesz > d->d_size || descsz > d->d_size ||
            off > d->d_size || descsz > d->d_size - off ||
            memcmp(p + 12, NOTE_NAME, sizeof NOTE_NAME - 1))
            break;
        rc = parse_desc((const char *)p + off, descsz, out);
        break;
    }
done:
    elf_end(e);
    return rc;
}

bool pf_compat_note_has_branch(const pf_compat_note *n, int branch) {
    for (size_t i = 0; i < n->n_branches; i++)
        if (n->branches[i] == branch)
            return true;
    return false;
}
