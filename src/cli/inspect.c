/* gpumatch inspect: derive GPU requirements from binaries, libraries,
 * directories and container images. */
#include <fcntl.h>
#include <getopt.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "gpumatch/inspect.h"
#include "gpumatch/tables.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: gpumatch inspect [--json | --list] [--entries] [--confirm | --verify]\n"
            "                        [-q] [-o FILE] PATH...\n"
            "  PATH: executable, shared library, object, static library, .fatbin/.cubin/.ptx,\n"
            "        directory tree, docker-archive/OCI tarball or OCI layout directory,\n"
            "        package (.whl, .zip, .conda, conda .tar.bz2) or a compressed file\n"
            "  --json     print the requirement document (input of check --require)\n"
            "  --list     print what `cuobjdump --list-elf --list-ptx` prints, per file\n"
            "  --entries  list every fat binary entry in the report\n"
            "  --confirm  also decompress the head of compressed entries to check them\n"
            "  --verify   decompress and check every entry completely\n"
            "  -o FILE    write the report (or the --json document, the --list) to FILE\n"
            "  -q, --quiet  no progress line (shown only when stderr is a terminal)\n"
            "here: 1 means no device code found (the JSON says \"device_code\": false)\n");
    gm_cli_exit_help(f);
}

static const char *short_target(const gm_target *t, char buf[GM_VERSION_STR_MAX]) {
    return gm_target_str(t, buf);
}

static bool cuda_dep(const char *n) {
    return !strncmp(n, "libcu", 5) || !strncmp(n, "libnv", 5) || !strncmp(n, "libnccl", 7);
}

static void print_entries(const gm_fatbin_region *rg) {
    char t[GM_VERSION_STR_MAX];
    for (size_t e = 0; e < rg->n_entries; e++) {
        const gm_fatbin_entry *en = &rg->entries[e];
        printf("      +0x%-8llx %-5s %-14s", (unsigned long long)en->offset,
               gm_fatbin_kind_name(en->kind),
               en->kind == GM_FATBIN_NVVM ? "-" : short_target(&en->target, t));
        if (en->kind == GM_FATBIN_PTX)
            printf(" isa %d.%d", en->code_version.major, en->code_version.minor);
        printf(" %llu bytes", (unsigned long long)en->payload_size);
        if (en->compression != GM_COMPRESS_NONE)
            printf(" (%s %u -> %llu)", gm_compression_name(en->compression), en->compressed_size,
                   (unsigned long long)en->uncompressed_size);
        printf("%s%s flags 0x%llx", en->is64 ? " 64-bit" : "", en->debug ? " debug" : "",
               (unsigned long long)en->flags);
        if (en->checked && en->kind == GM_FATBIN_CUBIN)
            printf(" e_flags 0x%08x", en->cubin.e_flags);
        if (en->checked && en->kind == GM_FATBIN_PTX && en->ptx.has_target)
            printf(" .target %s", en->ptx.target);
        printf("\n");
    }
}

/* "sm_80 sm_90 compute_90 (PTX ISA 9.0)" */
static void module_targets(const gm_module_req *m, char *buf, size_t len) {
    char t[GM_VERSION_STR_MAX];
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < m->n_cubin + m->n_ptx && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? " " : "",
                                 short_target(i < m->n_cubin ? &m->cubin[i]
                                                             : &m->ptx[i - m->n_cubin], t));
    if (m->has_ptx_isa && used < len)
        snprintf(buf + used, len - used, " (PTX ISA %d.%d)", m->ptx_isa.major, m->ptx_isa.minor);
}

static const char *optional_note(const gm_elf_scan *s, const gm_module_req *m) {
    if (!m->optional)
        return "";
    return s->kind == GM_FILE_SHARED ? " [optional: the library dispatches per GPU]"
                                     : " [optional: arch/family-specific only]";
}

static void print_module(const gm_elf_scan *s, const gm_module_req *m) {
    char t[2048];
    module_targets(m, t, sizeof t);
    printf("    module %s: %s%s\n", m->name ? m->name : "-", t, optional_note(s, m));
}

/* Many modules (a library): one line per distinct set of images, with counts. */
typedef struct {
    char text[2048];
    size_t count;
} module_group;

static void print_groups(const gm_elf_scan *s, const gm_requirement *req, size_t from, size_t to) {
    module_group *g = calloc(to - from, sizeof *g);
    size_t n = 0;
    if (!g)
        return;
    for (size_t i = from; i < to; i++) {
        char t[2048];
        module_targets(&req->modules[i], t, sizeof t);
        snprintf(t + strlen(t), sizeof t - strlen(t), "%s", optional_note(s, &req->modules[i]));
        size_t k = 0;
        while (k < n && strcmp(g[k].text, t))
            k++;
        if (k == n)
            snprintf(g[n++].text, sizeof g->text, "%s", t);
        g[k].count++;
    }
    printf("    %zu modules, %zu distinct image sets:\n", to - from, n);
    for (size_t k = 0; k < n; k++)
        printf("    %6zu x %s\n", g[k].count, g[k].text);
    free(g);
}

static void print_file(const gm_inspect *in, const gm_elf_scan *s, const gm_requirement *req,
                       size_t *mi, bool entries) {
    char v[GM_VERSION_STR_MAX];
    size_t nfb = 0;
    for (size_t i = 0; i < s->n_sections; i++)
        if (s->sections[i].primary)
            nfb += s->sections[i].fb.n_regions;
    printf("%s: %s, %llu bytes, %zu fat binar%s", s->path, gm_file_kind_name(s->kind),
           (unsigned long long)s->size, nfb, nfb == 1 ? "y" : "ies");
    if (s->tool[0])
        printf(", built with CUDA %s", s->tool);
    printf("\n");
    for (size_t i = 0; i < s->n_sections; i++) {
        const gm_fatbin_section *sec = &s->sections[i];
        if (!sec->section)
            continue;
        printf("  section %s%s%s%s at 0x%llx, %llu bytes, %zu fat binar%s%s\n",
               sec->member ? sec->member : "", sec->member ? ":" : "", sec->section, "",
               (unsigned long long)sec->offset, (unsigned long long)sec->size,
               sec->fb.n_regions, sec->fb.n_regions == 1 ? "y" : "ies",
               sec->embedded ? " (embedded in data: loaded by the program itself)"
               : sec->primary ? "" : " (not loaded: input to device linking)");
    }
    size_t ndeps = 0;
    for (size_t i = 0; i < s->needed.n; i++)
        if (cuda_dep(s->needed.items[i]))
            printf("%s%s", ndeps++ ? " " : "  CUDA libraries needed: ", s->needed.items[i]);
    if (ndeps)
        printf("\n");
    gm_runtime_guess g = gm_inspect_runtime(in, s);
    if (g.found)
        printf("  CUDA runtime: %s (%s)\n", gm_cuda_version_str(&g.version, v), g.source);
    else if (nfb)
        printf("  CUDA runtime: unknown\n");
    /* Modules of this file, in the order inspect added them: registered
     * sections, then embedded fat binaries, then the union module. */
    size_t first = *mi, n_kless = 0, n_emb = 0, n_nvvm = 0;
    bool group = !entries && nfb > 8;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < s->n_sections; i++) {
            const gm_fatbin_section *sec = &s->sections[i];
            if (!sec->primary || sec->embedded != (pass == 1))
                continue;
            for (size_t r = 0; r < sec->fb.n_regions; r++) {
                const gm_fatbin_region *rg = &sec->fb.regions[r];
                bool loads = false;
                for (size_t e = 0; e < rg->n_entries; e++)
                    loads |= rg->entries[e].kind != GM_FATBIN_NVVM;
                if (rg->kernel_less) {
                    n_kless++;
                    if (!group)
                        printf("    fat binary at 0x%llx: %s\n",
                               (unsigned long long)(sec->offset + rg->offset),
                               "kernel-less, not required (defines no kernel)");
                } else if (loads && *mi < req->n_modules) {
                    n_emb += pass == 1;
                    if (group)
                        (*mi)++;
                    else
                        print_module(s, &req->modules[(*mi)++]);
                } else if (!group) {
                    printf("    fat binary at 0x%llx: NVVM IR only (nothing the driver loads)\n",
                           (unsigned long long)(sec->offset + rg->offset));
                } else {
                    n_nvvm++;
                }
                if (entries)
                    print_entries(rg);
            }
        }
    }
    if (group && *mi > first)
        print_groups(s, req, first, *mi);
    if (n_nvvm)
        printf("    %zu fat binar%s NVVM IR only (nothing the driver loads)\n", n_nvvm,
               n_nvvm == 1 ? "y" : "ies");
    if (group && n_kless)
        printf("    %zu fat binar%s kernel-less, not required (define no kernel)\n", n_kless,
               n_kless == 1 ? "y" : "ies");
    if (((s->kind == GM_FILE_SHARED && *mi > first) || (s->kind != GM_FILE_SHARED && n_emb)) &&
        *mi < req->n_modules)
        print_module(s, &req->modules[(*mi)++]); /* the union */
}

static void print_summary(const gm_requirement *req) {
    char v[GM_VERSION_STR_MAX];
    size_t nopt = 0;
    for (size_t i = 0; i < req->n_modules; i++)
        nopt += req->modules[i].optional;
    printf("\nrequirement: %zu module%s (%zu optional)", req->n_modules,
           req->n_modules == 1 ? "" : "s", nopt);
    if (req->has_cuda_runtime) {
        printf(", CUDA runtime %s", gm_cuda_version_str(&req->cuda_runtime, v));
        const gm_toolkit_entry *tk = gm_toolkit_find(&req->cuda_runtime);
        const gm_driver_version *mc = gm_minor_compat_driver(req->cuda_runtime.major);
        if (tk) {
            char d1[GM_VERSION_STR_MAX], d2[GM_VERSION_STR_MAX];
            printf(" (driver >= %s", gm_driver_version_str(&tk->toolkit_driver, d1));
            if (mc)
                printf(", or >= %s with minor version compatibility", gm_driver_version_str(mc, d2));
            printf(")");
        }
    }
    printf("\n");
    if (!req->n_modules)
        return;
    gm_coverage *cov = NULL;
    size_t n = 0;
    gm_error err = {0};
    if (gm_inspect_coverage(req, &cov, &n, &err) < 0)
        return;
    printf("coverage (modules with an image that runs there; 'every' = all required load):\n");
    printf("  %-5s %-10s %-6s %s\n", "CC", "ARCH", "COVER", "MODULES");
    size_t na;
    const gm_arch_entry *arch = gm_table_arch(&na);
    for (size_t i = 0; i < n; i++) {
        printf("  %-5s %-10s %-6s %zu/%zu required, %zu/%zu in all%s\n", gm_cc_str(&cov[i].cc, v),
               i < na ? arch[i].arch : "?", gm_cover_name(cov[i].cover),
               cov[i].n_required_running, cov[i].n_required, cov[i].n_running, req->n_modules,
               cov[i].jit_only ? " (some through PTX JIT)" : "");
    }
    free(cov);
}

/* Per entry point of a tree: the compute capabilities where one of its
 * variants has every required module loading, and the variants' runtimes. */
static void print_entry_points(const gm_requirement *r) {
    if (!r->n_entry_points)
        return;
    size_t na;
    const gm_arch_entry *arch = gm_table_arch(&na);
    printf("\nentry points (each must run; one variant of each suffices):\n");
    for (size_t e = 0; e < r->n_entry_points; e++) {
        const gm_entry_point *ep = &r->entry_points[e];
        bool *fits = calloc(na ? na : 1, sizeof *fits);
        char rts[256] = "";
        size_t used = 0;
        if (!fits)
            return;
        for (size_t k = 0; k < ep->n_variants; k++) {
            const gm_req_variant *v = &ep->variants[k];
            gm_requirement t;
            gm_req_variant_view(v, &t);
            gm_coverage *cov = NULL;
            size_t n = 0;
            gm_error err = {0};
            if (gm_inspect_coverage(&t, &cov, &n, &err) == 0)
                for (size_t i = 0; i < n && i < na; i++)
                    fits[i] |= cov[i].cover == GM_COVER_EVERY ||
                               (!t.n_modules && cov[i].cover == GM_COVER_NONE);
            free(cov);
            char vs[GM_VERSION_STR_MAX];
            if (v->has_cuda_runtime && used < sizeof rts &&
                !strstr(rts, gm_cuda_version_str(&v->cuda_runtime, vs)))
                used += (size_t)snprintf(rts + used, sizeof rts - used, "%s%s", used ? " " : "",
                                         vs);
        }
        printf("  %s", ep->name ? ep->name : "-");
        if (ep->n_variants > 1)
            printf(" (%zu alternatives)", ep->n_variants);
        printf("\n    CUDA runtime%s: %s\n    runs on CC:", ep->n_variants > 1 ? "s" : "",
               rts[0] ? rts : "none stated");
        size_t shown = 0;
        for (size_t i = 0; i < na; i++) {
            char c[GM_VERSION_STR_MAX];
            if (fits[i]) {
                printf(" %s", gm_cc_str(&arch[i].cc, c));
                shown++;
            }
        }
        printf("%s\n", shown ? "" : " none");
        free(fits);
    }
}

int gm_cli_inspect(int argc, char **argv) {
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},     {"list", no_argument, NULL, 'l'},
        {"entries", no_argument, NULL, 'e'},  {"confirm", no_argument, NULL, 'c'},
        {"verify", no_argument, NULL, 'V'},   {"output", required_argument, NULL, 'o'},
        {"quiet", no_argument, NULL, 'q'},    {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    bool json = false, list = false, entries = false, quiet = false;
    gm_fatbin_depth depth = GM_FATBIN_HEADERS;
    const char *output = NULL;
    int c;
    optind = 1;
    gm_cli_args ga = {.verb = "inspect", .shortopts = "o:jqh", .longopts = opts};
    while ((c = gm_cli_getopt(&ga, argc, argv)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 'l': list = true; break;
        case 'e': entries = true; break;
        case 'c': if (depth < GM_FATBIN_CONFIRM) depth = GM_FATBIN_CONFIRM; break;
        case 'V': depth = GM_FATBIN_VERIFY; break;
        case 'o': output = optarg; break;
        case 'q': quiet = true; break;
        case 'h': usage(stdout); return GM_EXIT_OK;
        default: return GM_EXIT_INPUT;
        }
    }
    if (optind >= argc || (json && list)) {
        usage(stderr);
        return GM_EXIT_INPUT;
    }
    gm_inspect in;
    gm_inspect_init(&in, depth);
    in.fold = json; /* the document is the compact requirement */
    gm_cli_progress pl;
    gm_cli_quiet |= quiet;
    gm_cli_progress_attach(&pl, &in);
    gm_error err = {0};
    int rc = GM_EXIT_OK;
    for (int i = optind; i < argc; i++) {
        gm_image_info info = {0};
        int st = gm_inspect_add_path(&in, argv[i], &info, &err);
        gm_image_info_free(&info);
        gm_cli_progress_clear(&pl); /* before any message, and at the end */
        if (st < 0) {
            gm_cli_error("inspect", &err);
            rc = gm_cli_exit_for(st) == GM_EXIT_ENV ? GM_EXIT_INPUT : gm_cli_exit_for(st);
            gm_error_clear(&err);
        }
    }
    for (size_t i = 0; i < in.errors.n; i++) {
        gm_cli_errorf("inspect", "%s", in.errors.items[i]);
        rc = GM_EXIT_INPUT;
    }
    /* A requirement from part of the input would understate it: no document then. */
    if (rc != GM_EXIT_OK && (json || in.n_files == 0)) {
        gm_inspect_free(&in);
        return rc;
    }
    /* -o without --json: the report (or --list) goes to the file */
    gm_cli_redirect to_file;
    if (gm_cli_stdout_begin("inspect", json ? NULL : output, &to_file) != GM_EXIT_OK) {
        gm_inspect_free(&in);
        return GM_EXIT_INPUT;
    }
    if (list) {
        for (size_t i = 0; i < in.n_files; i++) {
            char *t = gm_inspect_cuobjdump_list(&in.files[i], &err);
            if (!t) {
                gm_cli_error("inspect", &err);
                rc = GM_EXIT_INPUT;
                continue;
            }
            fputs(t, stdout);
            free(t);
        }
        gm_inspect_free(&in);
        int orc = gm_cli_stdout_end("inspect", &to_file, rc != GM_EXIT_INPUT);
        return orc != GM_EXIT_OK ? orc : rc;
    }
    gm_requirement req;
    /* The report lists modules file by file: the flat form; the document (and
     * the report's entry point section) the loader model. */
    if ((json ? gm_inspect_requirement_opts(&in, true, &req, &err)
              : gm_inspect_requirement_flat(&in, false, &req, &err)) < 0) {
        gm_cli_error("inspect", &err);
        gm_inspect_free(&in);
        gm_cli_stdout_end("inspect", &to_file, false);
        return GM_EXIT_INPUT;
    }
    /* Nothing found is an answer, not a pass. */
    if (rc == GM_EXIT_OK && !gm_inspect_found_device_code(&in)) {
        req.no_device_code = true;
        gm_cli_errorf("inspect", "no device code found in %s%s (%zu file%s read, %zu skipped)",
                      argv[optind], argc - optind > 1 ? " ..." : "", in.n_files,
                      in.n_files == 1 ? "" : "s", in.n_skipped);
        rc = GM_EXIT_NO;
    }
    if (json) {
        char *text = gm_requirement_to_json(&req, &err);
        if (!text) {
            gm_cli_error("inspect", &err);
            rc = GM_EXIT_INPUT;
        } else {
            int orc = gm_cli_output("inspect", output, text);
            if (orc != GM_EXIT_OK)
                rc = orc;
            free(text);
        }
    } else {
        size_t mi = 0;
        for (size_t i = 0; i < in.n_files; i++)
            print_file(&in, &in.files[i], &req, &mi, entries);
        if (in.n_skipped)
            printf("(%zu file%s without device code or ELF skipped)\n", in.n_skipped,
                   in.n_skipped == 1 ? "" : "s");
        print_summary(&req);
        gm_requirement eps;
        if (gm_inspect_requirement_opts(&in, true, &eps, &err) < 0) {
            gm_cli_error("inspect", &err);
            rc = GM_EXIT_INPUT;
        } else {
            print_entry_points(&eps);
            gm_requirement_free(&eps);
        }
    }
    gm_requirement_free(&req);
    gm_inspect_free(&in);
    int orc = gm_cli_stdout_end("inspect", &to_file, rc != GM_EXIT_INPUT);
    return orc != GM_EXIT_OK ? orc : rc;
}
