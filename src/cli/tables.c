/* gpumatch tables: print the embedded knowledge tables. */
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "gpumatch/tables.h"

int gm_cli_tables(int argc, char **argv) {
    char a[GM_VERSION_STR_MAX], b[GM_VERSION_STR_MAX], c[GM_VERSION_STR_MAX];
    size_t n;
    const char *which = argc > 1 ? argv[1] : "all";
    if (!strcmp(which, "--help") || !strcmp(which, "-h")) {
        printf("usage: gpumatch tables [toolkit|ptx|arch|all]\n"
               "  prints the embedded tables (data/*.tsv, sources in their headers)\n");
        return GM_EXIT_OK;
    }
    if (strcmp(which, "all") && strcmp(which, "toolkit") && strcmp(which, "ptx") &&
        strcmp(which, "arch")) {
        gm_cli_errorf("tables", "unknown table '%s' (toolkit, ptx, arch, all)", which);
        return GM_EXIT_INPUT;
    }
    bool all = !strcmp(which, "all");
    if (all || !strcmp(which, "toolkit")) {
        const gm_toolkit_entry *t = gm_table_toolkit(&n);
        printf("# CUDA toolkit -> minimum Linux driver (source: CUDA Toolkit Release Notes, "
               "Tables 2 and 3)\n%-6s %-12s %s\n",
               "CUDA", "DRIVER", "MINOR-VERSION-COMPAT DRIVER");
        for (size_t i = 0; i < n; i++)
            printf("%-6s %-12s %s\n", gm_cuda_version_str(&t[i].cuda, a),
                   gm_driver_version_str(&t[i].toolkit_driver, b),
                   t[i].minor_compat_driver.nparts ? gm_driver_version_str(&t[i].minor_compat_driver, c)
                                                   : "-");
        if (all)
            printf("\n");
    }
    if (all || !strcmp(which, "ptx")) {
        const gm_ptx_entry *p = gm_table_ptx(&n);
        printf("# PTX ISA -> first CUDA release (source: PTX ISA release notes)\n%-8s %s\n",
               "PTX-ISA", "FIRST-CUDA");
        for (size_t i = 0; i < n; i++)
            printf("%-8s %s\n", gm_cuda_version_str(&p[i].isa, a),
                   gm_cuda_version_str(&p[i].first_cuda, b));
        if (all)
            printf("\n");
    }
    if (all || !strcmp(which, "arch")) {
        const gm_arch_entry *r = gm_table_arch(&n);
        printf("# compute capability -> architecture (source: CUDA C Programming Guide; Blackwell "
               "compatibility guide)\n%-5s %-10s %-7s %-6s %-9s %s\n",
               "CC", "ARCH", "FAMILY", "FROM", "UNTIL", "PRODUCTS");
        for (size_t i = 0; i < n; i++)
            printf("%-5s %-10s %-7d %-6s %-9s %s\n", gm_cc_str(&r[i].cc, a), r[i].arch,
                   r[i].family, gm_cuda_version_str(&r[i].first_cuda, b),
                   r[i].last_cuda.major ? gm_cuda_version_str(&r[i].last_cuda, c) : "current",
                   r[i].products);
    }
    return GM_EXIT_OK;
}
