/* Atomic file replacement and running a command (scontrol) without a shell. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gpumatch/agent.h"
#include "internal.h"

extern char **environ;

int gm_agent_write_atomic(const char *path, const char *data, size_t len, gm_error *err) {
    char *d1 = gm_strdup(path), *d2 = gm_strdup(path);
    if (!d1 || !d2) {
        free(d1);
        free(d2);
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    }
    /* Hidden name: NFD skips dot files, node_exporter reads only *.prom. */
    char *tmp = gm_asprintf("%s/.%s.gpumatch-tmp.XXXXXX", dirname(d1), basename(d2));
    free(d1);
    free(d2);
    if (!tmp) return gm_error_set(err, GM_ENOMEM, "out of memory");
    mode_t mode = 0644;
    struct stat st;
    if (stat(path, &st) == 0) mode = st.st_mode & 07777;
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return gm_error_set(err, GM_EIO, "%s: cannot create a temporary file beside it: %s", path,
                            strerror(e));
    }
    int e = 0;
    for (size_t off = 0; off < len && !e;) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) e = w < 0 ? errno : EIO;
        else off += (size_t)w;
    }
    if (!e && fchmod(fd, mode) < 0) e = errno;
    if (!e && fsync(fd) < 0) e = errno;
    if (close(fd) < 0 && !e) e = errno;
    if (!e && rename(tmp, path) < 0) e = errno;
    if (e) unlink(tmp);
    free(tmp);
    return e ? gm_error_set(err, GM_EIO, "%s: %s", path, strerror(e)) : 0;
}

#define RUN_MAX_OUT (256u * 1024u)

int gm_agent_run(char *const argv[], char **out, gm_error *err) {
    int p[2];
    if (out) *out = NULL;
    if (pipe2(p, O_CLOEXEC) < 0) return gm_error_set(err, GM_EIO, "pipe: %s", strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_adddup2(&fa, p[1], 2);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    /* The child gets an empty signal mask and default SIGPIPE/SIGTERM/SIGINT
     * (an ignored signal would stay ignored across exec). */
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    sigset_t none, def;
    sigemptyset(&none);
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    sigaddset(&def, SIGTERM);
    sigaddset(&def, SIGINT);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &def);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(p[1]);
    if (rc != 0) {
        close(p[0]);
        return gm_error_set(err, GM_ENOTFOUND, "cannot run %s: %s", argv[0], strerror(rc));
    }
    char *buf = malloc(RUN_MAX_OUT + 1);
    size_t len = 0;
    for (;;) {
        char tmp[4096];
        ssize_t r = read(p[0], tmp, sizeof tmp);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        size_t take = (size_t)r;
        if (len + take > RUN_MAX_OUT) take = RUN_MAX_OUT - len;
        if (buf && take) memcpy(buf + len, tmp, take);
        len += take;
    }
    close(p[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    if (buf) buf[len] = 0;
    if (out) *out = buf;
    else free(buf);
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    return gm_error_set(err, GM_EIO, "%s killed by signal %d", argv[0],
                        WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

bool gm_slurm_node_field(const char *show, const char *field, char *buf, size_t len) {
    size_t fl = strlen(field);
    for (const char *p = show; p && *p; p++) {
        if ((p == show || p[-1] == ' ' || p[-1] == '\n') && !strncmp(p, field, fl) && p[fl] == '=') {
            p += fl + 1;
            /* Reason= runs to the end of the line with spaces ("Reason=x [root@...]") */
            size_t n = !strcmp(field, "Reason") ? strcspn(p, "\n") : strcspn(p, " \n");
            if (n >= len) n = len - 1;
            memcpy(buf, p, n);
            buf[n] = 0;
            return true;
        }
    }
    return false;
}
