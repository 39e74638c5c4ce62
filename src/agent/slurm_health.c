/* Slurm HealthCheckProgram logic: drain on a failed check, resume only our
 * own drain. slurm.conf(5) HealthCheckProgram: the program "should take
 * any action considered appropriate" (e.g. `scontrol update NodeName=...
 * State=DRAIN Reason=...`); Slurm does not act on its exit code. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gpumatch/agent.h"
#include "internal.h"

#define REASON_TAG "gpumatch:"

static void node_name(const gm_slurm_health_opts *o, char *buf, size_t len) {
    const char *e = getenv("SLURMD_NODENAME");
    if (o->node && *o->node) snprintf(buf, len, "%s", o->node);
    else if (e && *e) snprintf(buf, len, "%s", e);
    else if (gethostname(buf, len) == 0) {
        buf[len - 1] = 0;
        buf[strcspn(buf, ".")] = 0; /* slurm.conf NodeName is usually the short name */
    } else snprintf(buf, len, "localhost");
}

static int scontrol(const char *prog, char *const args[], char **out, gm_error *err) {
    char *argv[8] = {(char *)prog};
    size_t i = 1;
    for (; args[i - 1] && i < 7; i++) argv[i] = args[i - 1];
    argv[i] = NULL;
    int rc = gm_agent_run(argv, out, err);
    if (rc > 0) {
        char *o = out && *out ? *out : "";
        o[strcspn(o, "\n")] = 0;
        return gm_error_set(err, GM_EIO, "scontrol %s %s: exit %d: %s", args[0], args[1] ? args[1] : "",
                            rc, o);
    }
    return rc;
}

int gm_slurm_health(const gm_slurm_health_opts *o, const gm_pf_report *report,
                    gm_slurm_health_action *action, char *msg, size_t msglen, gm_error *err) {
    if (!o->state_file) return gm_error_set(err, GM_EINVAL, "slurm health: a state file is required");
    const char *prog = o->scontrol ? o->scontrol : "scontrol";
    char node[256];
    node_name(o, node, sizeof node);
    *action = GM_SLURM_HEALTH_OK;
    msg[0] = 0;

    char *show = NULL;
    char *sargs[] = {"show", "node", node, "-o", NULL};
    int rc = scontrol(prog, sargs, &show, err);
    if (rc < 0) {
        free(show);
        return rc;
    }
    char state[256] = "", reason[1024] = "";
    gm_slurm_node_field(show, "State", state, sizeof state);
    gm_slurm_node_field(show, "Reason", reason, sizeof reason);
    free(show);
    bool drained = strstr(state, "DRAIN") != NULL;
    bool ours_reason = !strncmp(reason, REASON_TAG, strlen(REASON_TAG));
    bool recorded = access(o->state_file, F_OK) == 0;

    char *fails = gm_pf_report_failures(report);
    if (fails) {
        if (drained) {
            *action = GM_SLURM_HEALTH_STILL_DRAINED;
            snprintf(msg, msglen, "node %s already drained%s: %s", node,
                     recorded ? " by gpumatch" : " (not by gpumatch; left alone)", reason);
            free(fails);
            return 0;
        }
        /* Reason: the failed checks, one line, bounded (Slurm keeps it whole). */
        char why[512];
        snprintf(why, sizeof why, REASON_TAG " %s", fails);
        free(fails);
        for (char *p = why; *p; p++)
            if (*p == '\n' || *p == '\r') *p = ' ';
        char *r = gm_asprintf("Reason=%s", why), *nn = gm_asprintf("NodeName=%s", node);
        char *uargs[] = {"update", nn, "State=DRAIN", r, NULL};
        char *out = NULL;
        rc = r && nn ? scontrol(prog, uargs, &out, err) : gm_error_set(err, GM_ENOMEM, "out of memory");
        free(out), free(r), free(nn);
        if (rc < 0) return rc;
        char *rec = gm_asprintf("drained %s\n%s\n", node, why);
        rc = rec ? gm_agent_write_atomic(o->state_file, rec, strlen(rec), err) : GM_ENOMEM;
        free(rec);
        if (rc < 0) return rc;
        *action = GM_SLURM_HEALTH_DRAINED;
        snprintf(msg, msglen, "drained node %s: %s", node, why);
        return 0;
    }
    if (!recorded) return 0;
    /* Healthy, and we drained it: resume unless someone else took over the drain. */
    if (drained && ours_reason) {
        char *nn = gm_asprintf("NodeName=%s", node);
        char *uargs[] = {"update", nn, "State=RESUME", NULL};
        char *out = NULL;
        rc = nn ? scontrol(prog, uargs, &out, err) : gm_error_set(err, GM_ENOMEM, "out of memory");
        free(out), free(nn);
        if (rc < 0) return rc;
        *action = GM_SLURM_HEALTH_RESUMED;
        snprintf(msg, msglen, "healthy again: resumed node %s", node);
    } else {
        snprintf(msg, msglen, "healthy; node %s %s, not resumed by gpumatch", node,
                 drained ? "was re-drained by someone else" : "is no longer drained");
    }
    if (unlink(o->state_file) < 0 && errno != ENOENT)
        return gm_error_set(err, GM_EIO, "%s: %s", o->state_file, strerror(errno));
    return 0;
}
