/* Host ELF / archive / standalone device file scanner (see elfscan.h). */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "gpumatch/sys/elfscan.h"
#include "internal.h"

const char *gm_file_kind_name(gm_file_kind k) {
    switch (k) {
    case GM_FILE_EXEC: return "executable";
    case GM_FILE_SHARED: return "shared library";
    case GM_FILE_OBJECT: return "object";
    case GM_FILE_ARCHIVE: return "static library";
    case GM_FILE_FATBIN: return "fat binary";
    case GM_FILE_CUBIN: return "cubin";
    case GM_FILE_PTX: return "PTX";
    default: return "other";
    }
}

static bool ends_with(const char *s, const char *suf) {
    size_t a = s ? strlen(s) : 0, b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* PTX: text whose first directive lines carry .version (comments may precede). */
static bool looks_ptx(const void *head, size_t len, const char *name) {
    gm_ptx_info pi;
    if (len > 4096)
        len = 4096;
    if (gm_ptx_probe(head, len, name, &pi, NULL) < 0)
        return false;
    return pi.has_version && (pi.has_target || ends_with(name, ".ptx"));
}

bool gm_elfscan_sniff(const void *head, size_t len, const char *name) {
    const unsigned char *p = head;
    if (len >= 4 && memcmp(p, "\x7f" "ELF", 4) == 0)
        return true;
    if (len >= 8 && memcmp(p, "!<arch>\n", 8) == 0)
        return true;
    if (len >= 4 && p[0] == 0x50 && p[1] == 0xED && p[2] == 0x55 && p[3] == 0xBA)
        return true;
    return looks_ptx(head, len, name);
}

static int add_section(gm_elf_scan *s, gm_fatbin_section **out, gm_error *err) {
    if (gm_grow((void **)&s->sections, &s->cap, s->n_sections + 1, sizeof *s->sections) < 0)
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    *out = &s->sections[s->n_sections++];
    memset(*out, 0, sizeof **out);
    return 0;
}

static void take_tool(gm_elf_scan *s, const gm_fatbin *fb) {
    for (size_t i = 0; i < fb->n_regions; i++)
        if (gm_fatbin_tool_cmp(fb->regions[i].tool, s->tool) > 0)
            memcpy(s->tool, fb->regions[i].tool, sizeof s->tool);
}

/* A standalone cubin or PTX becomes one region with one entry, so callers
 * see every input the same way. */
static int synth_entry(gm_elf_scan *s, gm_fatbin_entry *e, gm_error *err) {
    gm_fatbin_section *sec = NULL; /* gcc -O3 cannot see add_section sets it */
    int rc = add_section(s, &sec, err);
    if (rc < 0)
        return rc;
    sec->primary = true;
    sec->size = s->size;
    gm_fatbin_region *r = gm_xcalloc(1, sizeof *r);
    gm_fatbin_entry *ec = gm_xcalloc(1, sizeof *ec);
    if (!r || !ec) {
        free(r);
        free(ec);
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    }
    *ec = *e;
    r->entries = ec;
    r->n_entries = r->cap = 1;
    r->size = s->size;
    memcpy(r->tool, s->tool, sizeof r->tool);
    sec->fb.regions = r;
    sec->fb.n_regions = sec->fb.cap = 1;
    return 0;
}

static int variant_of(const char *t, gm_variant *v) {
    size_t n = strlen(t);
    *v = GM_VARIANT_PLAIN;
    if (n && (t[n - 1] == 'a' || t[n - 1] == 'f'))
        *v = t[n - 1] == 'a' ? GM_VARIANT_ARCH : GM_VARIANT_FAMILY;
    return 0;
}

static int scan_cubin(gm_elf_scan *s, const unsigned char *p, size_t len, gm_error *err) {
    gm_fatbin_entry e = {0};
    int rc = gm_cubin_probe(p, len, true, s->path, 0, &e.cubin, err);
    if (rc < 0)
        return rc;
    s->kind = GM_FILE_CUBIN;
    memcpy(s->tool, e.cubin.tool, sizeof s->tool);
    e.kind = GM_FATBIN_CUBIN;
    e.payload_size = len;
    e.sm = e.cubin.sm;
    e.is64 = true;
    e.checked = true;
    e.target.kind = GM_KIND_CUBIN;
    e.target.cc.major = e.sm / 10;
    e.target.cc.minor = e.sm % 10;
    /* The a/f variant is not in e_flags (CUDA 13); the note's -arch option has it. */
    variant_of(e.cubin.arch_option, &e.target.variant);
    /* ptxas 12.x writes sm_90a in the old ABI with bit 0x800 (cuobjdump: sm_90a). */
    if (e.cubin.arch_specific)
        e.target.variant = GM_VARIANT_ARCH;
    if (e.sm < 10 || e.sm > GM_SM_MAX)
        return gm_error_set(err, GM_EFORMAT, "%s: offset 0x30: cubin e_flags give no valid SM number (%d)",
                            s->path, e.sm);
    return synth_entry(s, &e, err);
}

static int scan_ptx(gm_elf_scan *s, const char *p, size_t len, gm_fatbin_depth depth,
                    gm_error *err) {
    gm_fatbin_entry e = {0};
    int rc = gm_ptx_probe(p, depth == GM_FATBIN_VERIFY ? len : (len > 4096 ? 4096 : len),
                          s->path, &e.ptx, err);
    if (rc < 0)
        return rc;
    if (!e.ptx.has_version || !e.ptx.has_target)
        return gm_error_set(err, GM_EFORMAT, "%s: PTX without .version and .target", s->path);
    s->kind = GM_FILE_PTX;
    memcpy(s->tool, e.ptx.tool, sizeof s->tool);
    const char *t = e.ptx.target;
    if (strncmp(t, "sm_", 3) != 0)
        return gm_error_set(err, GM_EFORMAT, "%s: PTX .target %s is not sm_XY", s->path, t);
    char *endp;
    long sm = strtol(t + 3, &endp, 10);
    if (endp == t + 3 || sm < 10 || sm > GM_SM_MAX || (*endp && strcmp(endp, "a") && strcmp(endp, "f")))
        return gm_error_set(err, GM_EFORMAT, "%s: PTX .target %s is not sm_XY", s->path, t);
    e.kind = GM_FATBIN_PTX;
    e.payload_size = len;
    e.sm = (int)sm;
    e.code_version = e.ptx.version;
    e.checked = true;
    e.target.kind = GM_KIND_PTX;
    e.target.cc.major = e.sm / 10;
    e.target.cc.minor = e.sm % 10;
    variant_of(t, &e.target.variant);
    return synth_entry(s, &e, err);
}

static uint32_t rd32le(const unsigned char *w) {
    return (uint32_t)(w[0] | w[1] << 8 | w[2] << 16 | (uint32_t)w[3] << 24);
}

/* Next offset >= off, 8-byte aligned in the file, holding the fat binary
 * magic; SIZE_MAX if none. Fat binaries are 8-aligned wherever they are
 * embedded (their header has u64 fields): every one in cuFFT 10.9/11.4 and
 * cuBLASLt 12.9/13.0 is. */
static size_t find_magic(const unsigned char *data, size_t len, size_t off, uint64_t foff) {
    /* memchr for the magic's last byte (0xBA: rarer than its first, 0x50 'P')
     * runs at memory speed; the rest is checked at each hit. */
    while (off + 4 <= len) {
        const unsigned char *q = memchr(data + off + 3, 0xBA, len - off - 3);
        if (!q)
            return SIZE_MAX;
        size_t i = (size_t)(q - data) - 3;
        if ((foff + i) % 8 == 0 && rd32le(data + i) == GM_FATBIN_MAGIC)
            return i;
        off = i + 1;
    }
    return SIZE_MAX;
}

/* Fat binaries inside loadable data. Candidates are the magic followed by a
 * plausible header (version 1, header size 16, size that fits); a candidate
 * that does not parse as a fat binary is data that happens to hold the magic
 * and is passed over. Only the pages around candidates are parsed beyond the
 * magic search itself. */
static int scan_embedded(gm_elf_scan *s, const unsigned char *data, size_t len, uint64_t foff,
                         const char *where, const char *name, gm_fatbin_depth depth,
                         bool mapped, gm_error *err) {
    static const unsigned char magic[4] = {0x50, 0xED, 0x55, 0xBA};
    gm_fatbin_section *sec = NULL;
    size_t off = 0, released = 0;
    char origin[640];
    snprintf(origin, sizeof origin, "%s:%s", where, name);
    (void)magic;
    /* The pages are read in order: ask for readahead (the file is mapped
     * MADV_RANDOM for the header-only parse). */
    uintptr_t pa = (uintptr_t)data & ~(uintptr_t)4095;
    madvise((void *)pa, len + ((uintptr_t)data - pa), MADV_SEQUENTIAL);
    while (off + 16 <= len) {
        if (mapped && off - released >= GM_RELEASE_STEP) {
            gm_release_pages(data, released, off);
            released = off;
        }
        /* A window at a time, so what lies behind can be dropped. */
        size_t lim = len - off > GM_RELEASE_STEP ? off + GM_RELEASE_STEP : len;
        size_t o = find_magic(data, lim, off, foff);
        if (o == SIZE_MAX && lim < len) {
            off = lim - 3; /* a magic across the window's end */
            continue;
        }
        if (o == SIZE_MAX)
            break;
        const unsigned char *q = data + o;
        off = o + 8;
        if (len - o < 16)
            break;
        uint16_t ver = (uint16_t)(q[4] | q[5] << 8), hs = (uint16_t)(q[6] | q[7] << 8);
        uint64_t size = rd32le(q + 8) | (uint64_t)rd32le(q + 12) << 32;
        if (ver != 1 || hs != 16 || size < 64 || size > len - o - 16)
            continue;
        gm_fatbin fb;
        gm_error pe = {0};
        bool over = false;
        int rc = gm_fatbin_parse_within(q, (size_t)(16 + size), origin, foff + o, depth,
                                        s->bytes_decompressed, gm_fatbin_budget(s->size), &over,
                                        mapped, &fb, &pe);
        if (rc == GM_ENOMEM)
            return gm_error_set(err, GM_ENOMEM, "out of memory");
        if (over) { /* not data that holds the magic: the file's budget is spent */
            if (err)
                *err = pe;
            return rc;
        }
        if (rc < 0 || fb.n_regions != 1) {
            gm_fatbin_free(&fb);
            continue;
        }
        if (!sec) {
            if ((rc = add_section(s, &sec, err)) < 0) {
                gm_fatbin_free(&fb);
                return rc;
            }
            sec->section = gm_strdup(name);
            sec->offset = foff;
            sec->size = len;
            sec->embedded = true;
        }
        gm_fatbin_region *r = &fb.regions[0];
        r->offset += o;
        for (size_t i = 0; i < r->n_entries; i++)
            r->entries[i].offset += o;
        if (gm_grow((void **)&sec->fb.regions, &sec->fb.cap, sec->fb.n_regions + 1,
                    sizeof *sec->fb.regions) < 0) {
            gm_fatbin_free(&fb);
            return gm_error_set(err, GM_ENOMEM, "out of memory");
        }
        sec->fb.regions[sec->fb.n_regions++] = *r;
        sec->fb.bytes_decompressed += fb.bytes_decompressed;
        s->bytes_decompressed += fb.bytes_decompressed;
        free(fb.regions); /* entries moved */
        off = o + 16 + (size_t)size;
    }
    if (mapped)
        gm_release_pages(data, released, len);
    if (sec)
        take_tool(s, &sec->fb);
    return 0;
}

/* One ELF (a file or an archive member). raw/rawlen: its image; fbase: its
 * offset in the file, for messages. */
static int scan_elf(gm_elf_scan *s, Elf *elf, const char *member, uint64_t fbase,
                    gm_fatbin_depth depth, bool top, bool mapped, gm_error *err) {
    size_t rawlen = 0;
    const unsigned char *raw = (const unsigned char *)elf_rawfile(elf, &rawlen);
    char where[512];
    if (member)
        snprintf(where, sizeof where, "%s(%s)", s->path, member);
    else
        snprintf(where, sizeof where, "%s", s->path);
    GElf_Ehdr eh;
    if (!raw || !gelf_getehdr(elf, &eh))
        return gm_error_set(err, GM_EFORMAT, "%s: bad ELF header: %s", where, elf_errmsg(-1));
    if (top) {
        if (eh.e_machine == 190) /* EM_CUDA: a standalone cubin */
            return scan_cubin(s, raw, rawlen, err);
        s->kind = eh.e_type == ET_REL ? GM_FILE_OBJECT
                  : eh.e_type == ET_EXEC ? GM_FILE_EXEC
                  : eh.e_type == ET_DYN ? GM_FILE_SHARED
                                        : GM_FILE_OTHER;
        if (eh.e_type == ET_DYN) {
            size_t nph = 0;
            if (elf_getphdrnum(elf, &nph) == 0)
                for (size_t i = 0; i < nph; i++) {
                    GElf_Phdr ph;
                    if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_INTERP)
                        s->kind = GM_FILE_EXEC; /* PIE */
                }
        }
    }
    size_t shstrndx;
    if (elf_getshdrstrndx(elf, &shstrndx) != 0)
        return gm_error_set(err, GM_EFORMAT, "%s: no section name table: %s", where,
                            elf_errmsg(-1));
    size_t first = s->n_sections;
    bool have_exec_fatbin = false;
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(elf, scn))) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh))
            return gm_error_set(err, GM_EFORMAT, "%s: bad section header: %s", where,
                                elf_errmsg(-1));
        const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
        if (!name)
            continue;
        bool fat = !strcmp(name, ".nv_fatbin"), rel = !strcmp(name, "__nv_relfatbin");
        bool seg = !strcmp(name, ".nvFatBinSegment");
        if ((fat || rel || seg) && sh.sh_type != SHT_NOBITS &&
            (sh.sh_offset > rawlen || sh.sh_size > rawlen - sh.sh_offset))
            return gm_error_set(err, GM_EFORMAT,
                                "%s: offset 0x%llx: section %s (%llu bytes) runs past the end of "
                                "the file (%zu bytes)",
                                where, (unsigned long long)(fbase + sh.sh_offset), name,
                                (unsigned long long)sh.sh_size, rawlen);
        if ((fat || rel) && sh.sh_type != SHT_NOBITS && sh.sh_size > 0) {
            gm_fatbin_section *sec = NULL; /* gcc -O3 cannot see add_section sets it */
            int rc = add_section(s, &sec, err);
            if (rc < 0)
                return rc;
            sec->member = member ? gm_strdup(member) : NULL;
            sec->section = gm_strdup(name);
            sec->offset = fbase + sh.sh_offset;
            sec->size = sh.sh_size;
            sec->relocatable = rel;
            have_exec_fatbin |= fat;
            char origin[640];
            snprintf(origin, sizeof origin, "%s:%s", where, name);
            if ((rc = gm_fatbin_parse_within(raw + sh.sh_offset, (size_t)sh.sh_size, origin,
                                             fbase + sh.sh_offset, depth, s->bytes_decompressed,
                                             gm_fatbin_budget(s->size), NULL, mapped, &sec->fb,
                                             err)) < 0)
                return rc;
            s->bytes_decompressed += sec->fb.bytes_decompressed;
            take_tool(s, &sec->fb);
        } else if (top && sh.sh_type == SHT_PROGBITS && (sh.sh_flags & SHF_ALLOC) &&
                   !(sh.sh_flags & SHF_EXECINSTR) && !seg && sh.sh_size >= 80 &&
                   sh.sh_offset <= rawlen && sh.sh_size <= rawlen - sh.sh_offset) {
            int rc = scan_embedded(s, raw + sh.sh_offset, (size_t)sh.sh_size, fbase + sh.sh_offset,
                                   where, name, depth, mapped, err);
            if (rc < 0)
                return rc;
        } else if (seg && sh.sh_type != SHT_NOBITS) {
            for (uint64_t o = 0; o + 24 <= sh.sh_size; o += 24) {
                const unsigned char *w = raw + sh.sh_offset + o;
                if ((uint32_t)(w[0] | w[1] << 8 | w[2] << 16 | (uint32_t)w[3] << 24) ==
                    GM_FATBIN_WRAPPER_MAGIC)
                    s->n_wrappers++;
            }
        } else if (sh.sh_type == SHT_DYNAMIC) {
            Elf_Data *d = elf_getdata(scn, NULL);
            size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
            for (size_t i = 0; d && i < n; i++) {
                GElf_Dyn dyn;
                if (!gelf_getdyn(d, (int)i, &dyn))
                    break;
                if (dyn.d_tag == DT_NULL)
                    break;
                if (dyn.d_tag != DT_NEEDED && dyn.d_tag != DT_SONAME)
                    continue;
                const char *v = elf_strptr(elf, sh.sh_link, dyn.d_un.d_val);
                if (!v)
                    return gm_error_set(err, GM_EFORMAT, "%s: dynamic entry %zu names no string",
                                        where, i);
                if (dyn.d_tag == DT_NEEDED) {
                    if (gm_strlist_add(&s->needed, v) < 0)
                        return gm_error_set(err, GM_ENOMEM, "out of memory");
                } else if (!s->soname && !(s->soname = gm_strdup(v)))
                    return gm_error_set(err, GM_ENOMEM, "out of memory");
            }
        }
    }
    for (size_t i = first; i < s->n_sections; i++)
        s->sections[i].primary = have_exec_fatbin ? !s->sections[i].relocatable : true;
    return 0;
}

static int scan_archive(gm_elf_scan *s, Elf *ar, gm_fatbin_depth depth, bool mapped,
                        gm_error *err) {
    Elf *m;
    Elf_Cmd cmd = ELF_C_READ_MMAP;
    s->kind = GM_FILE_ARCHIVE;
    while ((m = elf_begin(-1, cmd, ar)) != NULL) {
        Elf_Arhdr *ah = elf_getarhdr(m);
        int rc = 0;
        if (ah && ah->ar_name && ah->ar_name[0] != '/' && elf_kind(m) == ELF_K_ELF &&
            (rc = gm_strlist_add(&s->members, ah->ar_name)) < 0)
            rc = gm_error_set(err, GM_ENOMEM, "out of memory");
        else if (ah && ah->ar_name && ah->ar_name[0] != '/' && elf_kind(m) == ELF_K_ELF)
            rc = scan_elf(s, m, ah->ar_name, (uint64_t)elf_getbase(m), depth, false, mapped,
                          err);
        cmd = elf_next(m);
        elf_end(m);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* libelf silently shows no sections when the section header table lies
 * outside the file; check the table and the name table's index ourselves
 * (System V ABI: e_shnum 0 with e_shoff set means the count is in section 0's
 * sh_size, e_shstrndx SHN_XINDEX means the index is in its sh_link). */
static uint64_t rdu(const unsigned char *p, int n, bool be) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[be ? n - 1 - i : i] << (8 * i);
    return v;
}

static int check_elf_tables(const unsigned char *p, size_t len, const char *path, gm_error *err) {
    bool c64 = p[4] == 2, be = p[5] == 2;
    if ((p[4] != 1 && p[4] != 2) || (p[5] != 1 && p[5] != 2))
        return gm_error_set(err, GM_EFORMAT, "%s: offset 0x4: bad ELF class/data bytes %u/%u",
                            path, p[4], p[5]);
    size_t need = c64 ? 64 : 52;
    if (len < need)
        return gm_error_set(err, GM_EFORMAT, "%s: offset 0x0: truncated ELF header (%zu bytes)",
                            path, len);
    uint64_t shoff = c64 ? rdu(p + 0x28, 8, be) : rdu(p + 0x20, 4, be);
    uint64_t shentsize = rdu(p + (c64 ? 0x3a : 0x2e), 2, be);
    uint64_t shnum = rdu(p + (c64 ? 0x3c : 0x30), 2, be);
    uint64_t shstrndx = rdu(p + (c64 ? 0x3e : 0x32), 2, be);
    uint64_t want = c64 ? 64 : 40;
    if (shoff == 0)
        return 0; /* no section header table (sstrip): nothing to scan */
    if (shentsize != want)
        return gm_error_set(err, GM_EFORMAT, "%s: offset 0x%x: e_shentsize %llu, expected %llu",
                            path, c64 ? 0x3a : 0x2e, (unsigned long long)shentsize,
                            (unsigned long long)want);
    if (shoff > len || len - shoff < want)
        return gm_error_set(err, GM_EFORMAT,
                            "%s: offset 0x%llx: section header table (e_shoff) is past the end of "
                            "the file (%zu bytes)",
                            path, (unsigned long long)shoff, len);
    const unsigned char *s0 = p + shoff;
    if (shnum == 0)
        shnum = c64 ? rdu(s0 + 0x20, 8, be) : rdu(s0 + 0x14, 4, be);
    if (shstrndx == 0xffff)
        shstrndx = rdu(s0 + (c64 ? 0x28 : 0x18), 4, be);
    if (shnum > (len - shoff) / want)
        return gm_error_set(err, GM_EFORMAT,
                            "%s: offset 0x%llx: %llu section headers of %llu bytes run past the "
                            "end of the file (%zu bytes)",
                            path, (unsigned long long)shoff, (unsigned long long)shnum,
                            (unsigned long long)want, len);
    if (shstrndx != 0 && shstrndx >= shnum)
        return gm_error_set(err, GM_EFORMAT,
                            "%s: offset 0x%x: e_shstrndx %llu, but there are %llu sections", path,
                            c64 ? 0x3e : 0x32, (unsigned long long)shstrndx,
                            (unsigned long long)shnum);
    if (shstrndx != 0) {
        const unsigned char *sh = s0 + shstrndx * want;
        uint64_t type = rdu(sh + 4, 4, be);
        uint64_t off = c64 ? rdu(sh + 0x18, 8, be) : rdu(sh + 0x10, 4, be);
        uint64_t size = c64 ? rdu(sh + 0x20, 8, be) : rdu(sh + 0x14, 4, be);
        if (type != 8 /* SHT_NOBITS */ && (off > len || size > len - off))
            return gm_error_set(err, GM_EFORMAT,
                                "%s: offset 0x%llx: section name table (%llu bytes at 0x%llx) runs "
                                "past the end of the file (%zu bytes)",
                                path, (unsigned long long)(shoff + shstrndx * want),
                                (unsigned long long)size, (unsigned long long)off, len);
    }
    return 0;
}

/* mapped: data is a read-only file mapping (its pages may be dropped). */
static int scan_memory(const void *data, size_t len, const char *name, gm_fatbin_depth depth,
                       bool mapped, gm_elf_scan *out, gm_error *err) {
    const unsigned char *p = data;
    memset(out, 0, sizeof *out);
    if (!(out->path = gm_strdup(name ? name : "-")))
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    out->size = len;
    int rc = 0;
    if (len >= 4 && p[0] == 0x50 && p[1] == 0xED && p[2] == 0x55 && p[3] == 0xBA) {
        gm_fatbin_section *sec = NULL; /* gcc -O3 cannot see add_section sets it */
        if ((rc = add_section(out, &sec, err)) < 0)
            goto fail;
        out->kind = GM_FILE_FATBIN;
        sec->primary = true;
        sec->size = len;
        if ((rc = gm_fatbin_parse_within(data, len, out->path, 0, depth, 0, gm_fatbin_budget(len),
                                         NULL, mapped, &sec->fb, err)) < 0)
            goto fail;
        out->bytes_decompressed = sec->fb.bytes_decompressed;
        take_tool(out, &sec->fb);
        return 0;
    }
    bool is_elf = len >= 4 && memcmp(p, "\x7f" "ELF", 4) == 0;
    bool is_ar = len >= 8 && memcmp(p, "!<arch>\n", 8) == 0;
    if (!is_elf && !is_ar) {
        if (looks_ptx(data, len, name) && (rc = scan_ptx(out, data, len, depth, err)) < 0)
            goto fail;
        return 0;
    }
    if (is_elf && len < 64) {
        rc = gm_error_set(err, GM_EFORMAT, "%s: offset 0x0: truncated ELF header (%zu bytes)",
                          out->path, len);
        goto fail;
    }
    if (is_elf && (rc = check_elf_tables(p, len, out->path, err)) < 0)
        goto fail;
    elf_version(EV_CURRENT);
    /* libelf wants a mutable pointer; with ELF_C_READ_MMAP_PRIVATE semantics
     * it only reads (nothing here updates the ELF). */
    Elf *elf = elf_memory((char *)(uintptr_t)data, len);
    if (!elf) {
        rc = gm_error_set(err, GM_EFORMAT, "%s: not a readable ELF: %s", out->path,
                          elf_errmsg(-1));
        goto fail;
    }
    if (elf_kind(elf) == ELF_K_AR)
        rc = scan_archive(out, elf, depth, mapped, err);
    else if (elf_kind(elf) == ELF_K_ELF)
        rc = scan_elf(out, elf, NULL, 0, depth, true, mapped, err);
    else
        rc = gm_error_set(err, GM_EFORMAT, "%s: offset 0x0: unrecognised ELF/archive", out->path);
    elf_end(elf);
    if (rc < 0)
        goto fail;
    return 0;
fail:
    gm_elf_scan_free(out); /* leaves *out zeroed: freeing it again is harmless */
    return rc;
}

int gm_elfscan_memory(const void *data, size_t len, const char *name, gm_fatbin_depth depth,
                      gm_elf_scan *out, gm_error *err) {
    return scan_memory(data, len, name, depth, false, out, err);
}

typedef struct {
    const void *data;
    size_t len;
    const char *name;
    gm_fatbin_depth depth;
    gm_elf_scan *out;
    gm_error *err;
} mapped_scan;

static int mapped_scan_run(void *arg) {
    mapped_scan *m = arg;
    return scan_memory(m->data, m->len, m->name, m->depth, true, m->out, m->err);
}

int gm_elfscan_mapped(const void *data, size_t len, const char *name, gm_fatbin_depth depth,
                      gm_elf_scan *out, gm_error *err) {
    mapped_scan m = {data, len, name, depth, out, err};
    bool faulted;
    int rc = gm_sigbus_guard(mapped_scan_run, &m, &faulted);
    if (faulted) {
        gm_elf_scan_free(out);
        return gm_error_set(err, GM_EIO,
                            "%s: the file shrank while it was read (truncated by another process)",
                            name ? name : "-");
    }
    return rc;
}

int gm_elfscan_file(const char *path, gm_fatbin_depth depth, gm_elf_scan *out, gm_error *err) {
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return gm_error_set(err, GM_ENOTFOUND, "%s: cannot open: %m", path);
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return gm_error_set(err, GM_EIO, "%s: not a regular file", path);
    }
    size_t len = (size_t)st.st_size;
    if (len == 0) {
        close(fd);
        out->path = gm_strdup(path);
        return 0;
    }
    void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return gm_error_set(err, GM_EIO, "%s: cannot map: %m", path);
    if (depth == GM_FATBIN_VERIFY)
        madvise(map, len, MADV_SEQUENTIAL);
    else
        madvise(map, len, MADV_RANDOM); /* headers only: no readahead of payloads */
    int rc = gm_elfscan_mapped(map, len, path, depth, out, err);
    munmap(map, len);
    return rc;
}

void gm_elf_scan_free(gm_elf_scan *s) {
    if (!s)
        return;
    for (size_t i = 0; i < s->n_sections; i++) {
        free(s->sections[i].member);
        free(s->sections[i].section);
        gm_fatbin_free(&s->sections[i].fb);
    }
    free(s->sections);
    gm_strlist_free(&s->needed);
    gm_strlist_free(&s->members);
    free(s->soname);
    free(s->path);
    memset(s, 0, sizeof *s);
}
