/* gpumatch agent: a foreground node agent (systemd runs it) that keeps NFD,
 * Prometheus and Slurm's view of this node current. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli/cli.h"
#include "gpumatch/agent.h"
#include "gpumatch/io.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: gpumatch agent [--config FILE] [--nfd-file PATH] [--prom-file PATH]\n"
            "                      [--slurm-node NAME] [--root DIR] [--backend B]\n"
            "                      [--interval S] [--watch S] [--expiry S] [--once]\n"
            "                      [--iterations N] [--scontrol PATH] [--label-ns NS]\n"
            "Probes this node and runs preflight every --interval seconds (default 60), and\n"
            "early when the driver, the device set or the MIG layout changes (checked every\n"
            "--watch seconds, default 1). Writes, each only if asked:\n"
            "  --nfd-file PATH    NFD local feature file (features.d/NAME) with # +expiry-time\n"
            "  --prom-file PATH   node_exporter textfile collector file (NAME.prom)\n"
            "  --slurm-node NAME  keep the Slurm node's Available/ActiveFeatures current\n"
            "  --expiry S         NFD labels expire S seconds after a write (default 300)\n"
            "  --root DIR         system tree for preflight (default /)\n"
            "  --once             evaluate once and exit; --iterations N: N evaluations\n"
            "  --config FILE      KEY = VALUE lines with the long option names (no --)\n"
            "Logs one line per state change on stderr. SIGTERM/SIGINT stop it after the\n"
            "current evaluation; files are replaced atomically.\n"
            "here: 0 also when stopped by signal; 3 probe or an output failed (--once)\n");
    gm_cli_exit_help(f);
}

typedef struct {
    gm_agent_opts o;
    double interval, watch;
    long iterations;
    bool once;
    char *owned[32];
    size_t n_owned;
} cfg;

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) { stop_flag = sig; }

static bool parse_secs(const char *v, double lo, double *out) {
    char *end;
    double d = strtod(v, &end);
    if (*end || end == v || !(d >= lo && d <= 86400)) return false;
    *out = d;
    return true;
}

/* One option (from argv or the config file). 0 ok, 1 unknown key, 2 bad value. */
static int set_opt(cfg *c, const char *k, const char *v) {
    double d;
    if (!strcmp(k, "nfd-file")) c->o.nfd_file = v;
    else if (!strcmp(k, "prom-file")) c->o.prom_file = v;
    else if (!strcmp(k, "slurm-node")) c->o.slurm_node = v;
    else if (!strcmp(k, "root")) c->o.root = v;
    else if (!strcmp(k, "backend")) c->o.probe.backend = v;
    else if (!strcmp(k, "scontrol")) c->o.scontrol = v;
    else if (!strcmp(k, "label-ns")) c->o.label_ns = v;
    else if (!strcmp(k, "interval")) {
        if (!parse_secs(v, 0, &d)) return 2;
        c->interval = d;
    } else if (!strcmp(k, "watch")) {
        if (!parse_secs(v, 0.01, &d)) return 2;
        c->watch = d;
    } else if (!strcmp(k, "expiry")) {
        if (!parse_secs(v, 1, &d)) return 2;
        c->o.expiry_s = (long)d;
    } else if (!strcmp(k, "iterations")) {
        char *end;
        long n = strtol(v, &end, 10);
        if (*end || end == v || n < 1) return 2;
        c->iterations = n;
    } else return 1;
    return 0;
}

static int load_config(cfg *c, const char *path) {
    char *text = NULL;
    size_t len = 0;
    gm_error err = {0};
    if (gm_read_file(path, 1 << 20, &text, &len, &err) < 0) {
        gm_cli_error("agent", &err);
        return GM_EXIT_INPUT;
    }
    c->owned[c->n_owned++] = text;
    int line = 0;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        line++;
        while (*l == ' ' || *l == '\t') l++;
        if (!*l || *l == '#') continue;
        char *eq = strchr(l, '=');
        if (!eq) {
            gm_cli_errorf("agent", "%s:%d: expected KEY = VALUE, got '%.60s'", path, line, l);
            return GM_EXIT_INPUT;
        }
        char *ke = eq;
        while (ke > l && (ke[-1] == ' ' || ke[-1] == '\t')) ke--;
        *ke = 0;
        char *v = eq + 1;
        while (*v == ' ' || *v == '\t') v++;
        for (char *e = v + strlen(v); e > v && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r');) *--e = 0;
        int r = set_opt(c, l, v);
        if (r) {
            gm_cli_errorf("agent", "%s:%d: %s '%s'", path, line, r == 1 ? "unknown key" : "bad value for", l);
            return GM_EXIT_INPUT;
        }
    }
    return GM_EXIT_OK;
}

static void logf_lines(gm_strlist *log) {
    for (size_t i = 0; i < log->n; i++) fprintf(stderr, "gpumatch agent: %s\n", log->items[i]);
    fflush(stderr);
    gm_strlist_free(log);
}

static double mono(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void nap(double s) {
    if (s <= 0) return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !stop_flag) {}
}

int gm_cli_agent(int argc, char **argv) {
    cfg c;
    memset(&c, 0, sizeof c);
    c.interval = 60;
    c.watch = 1;
    /* --config first, so command-line options override it */
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--config") && i + 1 < argc) {
            int r = load_config(&c, argv[i + 1]);
            if (r) {
                for (size_t k = 0; k < c.n_owned; k++) free(c.owned[k]);
                return r;
            }
        }
    int ex = GM_EXIT_OK;
    for (int i = 1; i < argc && !ex; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
            usage(stdout);
            goto done;
        } else if (!strcmp(o, "--once")) {
            c.once = true;
        } else if (!strcmp(o, "--config") && i + 1 < argc) {
            i++;
        } else if (!strncmp(o, "--", 2) && i + 1 < argc) {
            int r = set_opt(&c, o + 2, argv[i + 1]);
            if (r == 1) {
                gm_cli_errorf("agent", "unknown option '%s' (see gpumatch agent --help)", o);
                ex = GM_EXIT_INPUT;
            } else if (r == 2) {
                gm_cli_errorf("agent", "bad value '%s' for %s", argv[i + 1], o);
                ex = GM_EXIT_INPUT;
            }
            i++;
        } else {
            gm_cli_errorf("agent", "unknown or incomplete option '%s' (see gpumatch agent --help)", o);
            ex = GM_EXIT_INPUT;
        }
    }
    if (ex) goto done;
    if (!c.o.nfd_file && !c.o.prom_file && !c.o.slurm_node) {
        gm_cli_errorf("agent", "nothing to do: give --nfd-file, --prom-file or --slurm-node");
        ex = GM_EXIT_INPUT;
        goto done;
    }
    if (c.once) c.iterations = 1;

    gm_agent *a = NULL;
    gm_error err = {0};
    if (gm_agent_new(&c.o, &a, &err) < 0) {
        gm_cli_error("agent", &err);
        ex = GM_EXIT_INPUT;
        goto done;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: sleeps end early; writes finish */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int rc = 0;
    for (long it = 0; !stop_flag && (c.iterations <= 0 || it < c.iterations); it++) {
        gm_strlist log = {0};
        gm_error se = {0};
        rc = gm_agent_step(a, time(NULL), &log, &se);
        logf_lines(&log);
        if (stop_flag || (c.iterations > 0 && it + 1 >= c.iterations)) break;
        /* Sleep the interval, waking early when the fingerprint moves. */
        char *fp = c.watch < c.interval ? gm_agent_fingerprint(a) : NULL;
        double until = mono() + c.interval;
        while (!stop_flag) {
            double left = until - mono();
            if (left <= 0) break;
            nap(fp && c.watch < left ? c.watch : left);
            if (fp && !stop_flag) {
                char *now = gm_agent_fingerprint(a);
                bool moved = now && strcmp(now, fp);
                free(now);
                if (moved) {
                    fprintf(stderr, "gpumatch agent: driver or devices changed: re-evaluating\n");
                    break;
                }
            }
        }
        free(fp);
    }
    gm_agent_free(a);
    if (stop_flag) ex = GM_EXIT_OK;
    else if (rc < 0) ex = GM_EXIT_ENV;
done:
    for (size_t k = 0; k < c.n_owned; k++) free(c.owned[k]);
    return ex;
}
