/* The grammar every verb shares: options (did-you-mean, a single-valued
 * option given twice), --nodes and --require arguments (files, directories,
 * globs, "-"), --format, and -o for verbs that print with printf. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli/cli.h"
#include "gpumatch/doc.h"
#include "gpumatch/fleet.h"
#include "gpumatch/inspect.h"
#include "gpumatch/io.h"

static const struct option *long_of(const struct option *lo, int val) {
    for (; lo->name; lo++)
        if (lo->val == val)
            return lo;
    return NULL;
}

int gm_cli_getopt(gm_cli_args *a, int argc, char **argv) {
    char so[128];
    /* ':' first (after a '+'): a missing value is told apart from an unknown option */
    bool plus = a->shortopts[0] == '+';
    snprintf(so, sizeof so, "%s:%s", plus ? "+" : "", a->shortopts + plus);
    opterr = 0;
    if (!a->seen[0]) { /* val 0 is no option: it marks the first call */
        optind = 1;
        a->seen[0] = 1;
    }
    int c = getopt_long(argc, argv, so, a->longopts, NULL);
    if (c == -1)
        return -1;
    const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
    if (c == '?' || c == ':') {
        if (c == ':') {
            if (arg[0] == '-' && arg[1] == '-')
                gm_cli_errorf(a->verb, "option %s needs a value", arg);
            else
                gm_cli_errorf(a->verb, "option -%c needs a value", optopt);
            return '?';
        }
        if (optopt && !(arg[0] == '-' && arg[1] == '-')) {
            gm_cli_errorf(a->verb, "unknown option -%c (see gpumatch %s --help)", optopt, a->verb);
            return '?';
        }
        char typed[64];
        snprintf(typed, sizeof typed, "%s", arg + 2);
        typed[strcspn(typed, "=")] = 0;
        const char *near = NULL;
        size_t best = 3;
        for (const struct option *o = a->longopts; o->name; o++)
            if (gm_close_word(typed, o->name, &best))
                near = o->name;
        if (near)
            gm_cli_errorf(a->verb, "unknown option --%s; did you mean --%s?", typed, near);
        else
            gm_cli_errorf(a->verb, "unknown option --%s (see gpumatch %s --help)", typed, a->verb);
        return '?';
    }
    const struct option *o = long_of(a->longopts, c);
    if (o && o->has_arg == required_argument && (unsigned)c < sizeof a->seen &&
        !(a->repeatable && strchr(a->repeatable, c))) {
        if (a->seen[c]) {
            gm_cli_errorf(a->verb, "option --%s given twice; it takes one value", o->name);
            return '?';
        }
        a->seen[c] = 1;
    }
    return c;
}

int gm_cli_format_set(const char *verb, int *fmt, const char *arg, unsigned allowed) {
    static const char *const names[] = {"table", "json", "csv"};
    int f = -1;
    for (int i = 0; i < 3; i++)
        if (!strcmp(arg, names[i]))
            f = i;
    if (f < 0) {
        gm_cli_errorf(verb, "--format takes table, json or csv, not '%s'", arg);
        return GM_EXIT_INPUT;
    }
    if (!(allowed & (1u << f))) {
        gm_cli_errorf(verb, "--format %s: %s has no %s output; use %s", arg, verb, arg,
                      allowed & (1u << GM_FMT_CSV) ? "table, json or csv" : "table or json");
        return GM_EXIT_INPUT;
    }
    if (*fmt >= 0 && *fmt != f) {
        gm_cli_errorf(verb, "--json and --format %s disagree; give one",
                      names[f != GM_FMT_JSON ? f : *fmt]);
        return GM_EXIT_INPUT;
    }
    *fmt = f;
    return GM_EXIT_OK;
}

/* --- --nodes / --require arguments -------------------------------------- */

static bool has_glob(const char *s) { return strpbrk(s, "*?[") != NULL; }

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* DIR's *.json files, sorted (the order a shell glob gives). */
static int dir_json(const char *verb, const char *dir, gm_strlist *out) {
    DIR *d = opendir(dir);
    if (!d) {
        gm_cli_errorf(verb, "%s: %s", dir, strerror(errno));
        return GM_EXIT_INPUT;
    }
    gm_strlist names = {0};
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] != '.' && l > 5 && !strcmp(e->d_name + l - 5, ".json"))
            gm_strlist_addf(&names, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
                            e->d_name);
    }
    closedir(d);
    if (!names.n) {
        gm_cli_errorf(verb, "%s: a directory without *.json files", dir);
        gm_strlist_free(&names);
        return GM_EXIT_INPUT;
    }
    qsort(names.items, names.n, sizeof *names.items, cmp_str);
    for (size_t i = 0; i < names.n; i++)
        gm_strlist_add(out, names.items[i]);
    gm_strlist_free(&names);
    return GM_EXIT_OK;
}

int gm_cli_expand(const char *verb, const char *opt, const char *arg, bool dirs, gm_strlist *out) {
    struct stat st;
    if (!strcmp(arg, "-") || stat(arg, &st) == 0) {
        if (dirs && strcmp(arg, "-") && S_ISDIR(st.st_mode))
            return dir_json(verb, arg, out);
        return gm_strlist_add(out, arg) < 0 ? GM_EXIT_INPUT : GM_EXIT_OK;
    }
    if (!has_glob(arg)) /* missing: the reader names it */
        return gm_strlist_add(out, arg) < 0 ? GM_EXIT_INPUT : GM_EXIT_OK;
    glob_t g;
    int rc = glob(arg, GLOB_ERR, NULL, &g);
    if (rc == GLOB_NOMATCH) {
        gm_cli_errorf(verb, "%s '%s': no file matches", opt, arg);
        return GM_EXIT_INPUT;
    }
    if (rc != 0) {
        gm_cli_errorf(verb, "%s '%s': cannot expand the pattern", opt, arg);
        return GM_EXIT_INPUT;
    }
    for (size_t i = 0; i < g.gl_pathc; i++)
        gm_strlist_add(out, g.gl_pathv[i]);
    globfree(&g);
    return GM_EXIT_OK;
}

static bool stdin_taken;

/* The text of PATH ("-": standard input, once). */
static int read_doc(const char *verb, const char *path, char **text, size_t *len,
                    const char **origin) {
    gm_error err = {0};
    *origin = path;
    if (!strcmp(path, "-")) {
        if (stdin_taken) {
            gm_cli_errorf(verb, "standard input (-) given twice");
            return GM_EXIT_INPUT;
        }
        stdin_taken = true;
        *origin = "<stdin>";
        path = "/dev/stdin";
    }
    if (gm_read_file(path, GM_MAX_DOC_BYTES, text, len, &err) < 0) {
        gm_cli_error(verb, &err);
        return GM_EXIT_INPUT; /* a file the user named, even when missing */
    }
    return GM_EXIT_OK;
}

/* After a parse error: the other kind of document gets a pointer to its option. */
static void wrong_kind(const char *verb, const char *origin, const char *text, size_t len,
                       gm_doc_kind want, const gm_error *err) {
    const char *field = NULL;
    gm_doc_kind k = gm_doc_kind_of(text, len, &field);
    if (k != GM_DOC_UNKNOWN && k != want)
        gm_cli_errorf(verb, "%s looks like a %s (has \"%s\"); pass it with %s", origin,
                      gm_doc_kind_name(k), field, k == GM_DOC_NODE ? "--nodes" : "--require");
    else
        gm_cli_error(verb, err);
}

/* Reads path (or "-") and parses it as a document of kind `want`; a parse
 * failure names the other kind when the document looks like one. */
static int parse_doc(const char *verb, const char *path, gm_doc_kind want, void *out) {
    char *text = NULL;
    size_t len = 0;
    const char *origin;
    gm_error err = {0};
    int rc = read_doc(verb, path, &text, &len, &origin);
    if (rc != GM_EXIT_OK)
        return rc;
    int st = want == GM_DOC_NODE ? gm_node_list_parse(text, len, origin, out, &err)
                                 : gm_requirement_parse(text, len, origin, out, &err);
    if (st < 0) {
        wrong_kind(verb, origin, text, len, want, &err);
        rc = GM_EXIT_INPUT;
    }
    free(text);
    return rc;
}

static int nodes_file(const char *verb, const char *path, gm_node_list *nodes) {
    return parse_doc(verb, path, GM_DOC_NODE, nodes);
}

static int cmp_name(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Hostnames name nodes in every output and export, so one given twice (the
 * same file in two --nodes, or a glob and a file) is refused, not doubled. */
static int unique_hostnames(const char *verb, const char *origin, const gm_node_list *nodes) {
    const char **names = calloc(nodes->n ? nodes->n : 1, sizeof *names);
    size_t k = 0;
    int rc = GM_EXIT_OK;
    if (!names) {
        gm_cli_errorf(verb, "out of memory");
        return GM_EXIT_INPUT;
    }
    for (size_t i = 0; i < nodes->n; i++)
        if (nodes->nodes[i].hostname && *nodes->nodes[i].hostname)
            names[k++] = nodes->nodes[i].hostname;
    qsort(names, k, sizeof *names, cmp_name);
    for (size_t i = 1; i < k && rc == GM_EXIT_OK; i++)
        if (!strcmp(names[i - 1], names[i])) {
            char *e = gm_text_escape(names[i]);
            gm_cli_errorf(verb, "%s: hostname \"%s\" is given twice (a node file named twice?)",
                          origin, e ? e : "?");
            free(e);
            rc = GM_EXIT_INPUT;
        }
    free(names);
    return rc;
}

int gm_cli_nodes_add(const char *verb, const char *arg, gm_node_list *nodes) {
    gm_strlist paths = {0};
    int rc = gm_cli_expand(verb, "--nodes", arg, true, &paths);
    for (size_t i = 0; rc == GM_EXIT_OK && i < paths.n; i++)
        if ((rc = nodes_file(verb, paths.items[i], nodes)) == GM_EXIT_OK)
            rc = unique_hostnames(verb, paths.items[i], nodes);
    gm_strlist_free(&paths);
    return rc;
}

int gm_cli_pick_node(const char *verb, gm_node_list *l, const char *from, const char *host,
                     gm_node *out) {
    size_t at = l->n;
    if (host) {
        for (size_t i = 0; i < l->n && at == l->n; i++)
            if (l->nodes[i].hostname && !strcmp(l->nodes[i].hostname, host))
                at = i;
        if (at == l->n) {
            gm_cli_errorf(verb, "%s: no node has hostname \"%s\"", from, host);
            return GM_EXIT_INPUT;
        }
    } else if (l->n == 1) {
        at = 0;
    } else {
        gm_cli_errorf(verb, "%s: holds %zu nodes; %s checks one (pick it with --host NAME)", from,
                      l->n, verb);
        return GM_EXIT_INPUT;
    }
    *out = l->nodes[at];
    memset(&l->nodes[at], 0, sizeof l->nodes[at]);
    return GM_EXIT_OK;
}

bool gm_cli_is_json_file(const char *path) {
    /* O_NONBLOCK: a FIFO nobody writes to must not hang the sniff (issue 13) */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (fd >= 0 && !f)
        close(fd);
    int ch = EOF;
    if (f) {
        do
            ch = fgetc(f);
        while (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r');
        fclose(f);
    }
    return ch == '{' || ch == '[';
}

int gm_cli_inspect_require(const char *verb, const char *path, gm_requirement *req) {
    gm_inspect in;
    gm_error err = {0};
    gm_inspect_init(&in, GM_FATBIN_HEADERS);
    in.fold = true; /* only the compact requirement is read */
    gm_cli_progress pl;
    gm_cli_progress_attach(&pl, &in);
    int st = gm_inspect_add_path(&in, path, NULL, &err), rc = GM_EXIT_OK;
    gm_cli_progress_clear(&pl);
    if (st < 0) {
        gm_cli_error(verb, &err);
        rc = GM_EXIT_INPUT;
    }
    for (size_t i = 0; i < in.errors.n; i++) {
        gm_cli_errorf(verb, "%s", in.errors.items[i]);
        rc = GM_EXIT_INPUT;
    }
    if (rc == GM_EXIT_OK && !gm_inspect_found_device_code(&in)) {
        gm_cli_errorf(verb, "%s: no device code found: nothing to check", path);
        rc = GM_EXIT_INPUT;
    }
    if (rc == GM_EXIT_OK) {
        gm_requirement_free(req);
        if (gm_inspect_requirement_opts(&in, true, req, &err) < 0) {
            gm_cli_error(verb, &err);
            rc = GM_EXIT_INPUT;
        }
    }
    gm_inspect_free(&in);
    return rc;
}

/* One requirement: a document (JSON, or "-"), else software to inspect. */
static int require_one(const char *verb, const char *path, gm_requirement *req) {
    if (strcmp(path, "-") && !gm_cli_is_json_file(path)) {
        struct stat st;
        if (stat(path, &st) < 0) {
            gm_cli_errorf(verb, "%s: %s", path, strerror(errno));
            return GM_EXIT_INPUT;
        }
        return gm_cli_inspect_require(verb, path, req);
    }
    return parse_doc(verb, path, GM_DOC_REQUIREMENT, req);
}

int gm_cli_require_add(const char *verb, const char *arg, gm_cli_reqs *reqs) {
    gm_strlist paths = {0};
    int rc = gm_cli_expand(verb, "--require", arg, false, &paths);
    for (size_t i = 0; rc == GM_EXIT_OK && i < paths.n; i++) {
        gm_cli_req *grown = realloc(reqs->items, (reqs->n + 1) * sizeof *grown);
        if (!grown) {
            gm_cli_errorf(verb, "out of memory");
            rc = GM_EXIT_INPUT;
            break;
        }
        reqs->items = grown;
        gm_cli_req *r = &reqs->items[reqs->n];
        gm_requirement_init(&r->req);
        r->path = strdup(paths.items[i]);
        rc = r->path ? require_one(verb, paths.items[i], &r->req) : GM_EXIT_INPUT;
        if (rc != GM_EXIT_OK) {
            gm_requirement_free(&r->req);
            free(r->path);
        } else {
            reqs->n++;
        }
    }
    gm_strlist_free(&paths);
    return rc;
}

void gm_cli_reqs_free(gm_cli_reqs *reqs) {
    for (size_t i = 0; i < reqs->n; i++) {
        gm_requirement_free(&reqs->items[i].req);
        free(reqs->items[i].path);
    }
    free(reqs->items);
    memset(reqs, 0, sizeof *reqs);
}

/* --- -o for verbs that print as they go --------------------------------- */

int gm_cli_stdout_begin(const char *verb, const char *path, gm_cli_redirect *r) {
    gm_error err = {0};
    memset(r, 0, sizeof *r);
    r->saved = -1;
    if (!path || !strcmp(path, "-"))
        return GM_EXIT_OK;
    fflush(stdout);
    r->f = gm_atomic_open(path, &r->tmp, &err);
    if (!r->f) {
        gm_cli_error(verb, &err);
        return GM_EXIT_INPUT;
    }
    r->path = path;
    r->saved = dup(STDOUT_FILENO);
    if (r->saved < 0 || dup2(fileno(r->f), STDOUT_FILENO) < 0) {
        gm_cli_errorf(verb, "%s: cannot redirect the output: %s", path, strerror(errno));
        if (r->saved >= 0)
            close(r->saved);
        gm_atomic_commit(r->f, r->tmp, path, false, NULL);
        r->f = NULL;
        return GM_EXIT_INPUT;
    }
    return GM_EXIT_OK;
}

int gm_cli_stdout_end(const char *verb, gm_cli_redirect *r, bool ok) {
    gm_error err = {0};
    if (!r->f)
        return GM_EXIT_OK;
    bool wrote = fflush(stdout) == 0 && !ferror(stdout);
    dup2(r->saved, STDOUT_FILENO);
    close(r->saved);
    clearerr(stdout);
    int rc = gm_atomic_commit(r->f, r->tmp, r->path, ok && wrote, ok ? &err : NULL);
    r->f = NULL;
    if (ok && (rc < 0 || !wrote)) {
        if (rc < 0)
            gm_cli_error(verb, &err);
        else
            gm_cli_errorf(verb, "%s: write failed", r->path);
        return GM_EXIT_INPUT;
    }
    return GM_EXIT_OK;
}

void gm_cli_exit_help(FILE *f) {
    fputs("exit: 0 ok / fits, 1 does not fit / refused / a check failed, 2 bad usage or input,\n"
          "      3 no driver, GPU or runtime\n",
          f);
}
