/* Reading a mapped file that another process truncates raises SIGBUS: a
 * node agent inspecting a shared directory must not be killed by any writer.
 * The guard turns such a fault, on the thread that runs the guarded scan,
 * into an error; a SIGBUS anywhere else goes to the handler that was there
 * before (by default: the process dies, as without the guard). */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include "internal.h"

static _Thread_local sigjmp_buf *tl_jump;
static struct sigaction old_action;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int install_rc;

static void on_sigbus(int sig, siginfo_t *si, void *uc) {
    if (tl_jump)
        siglongjmp(*tl_jump, 1);
    /* not ours: hand it on as if the guard were absent */
    if (old_action.sa_flags & SA_SIGINFO) {
        if (old_action.sa_sigaction) {
            old_action.sa_sigaction(sig, si, uc);
            return;
        }
    } else if (old_action.sa_handler != SIG_DFL && old_action.sa_handler != SIG_IGN) {
        old_action.sa_handler(sig);
        return;
    }
    sigaction(SIGBUS, &old_action, NULL); /* returning re-runs the access: default action */
}

static void install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    install_rc = sigaction(SIGBUS, &sa, &old_action);
}

int gm_sigbus_guard(int (*fn)(void *), void *arg, bool *faulted) {
    *faulted = false;
    pthread_once(&once, install);
    if (install_rc != 0)
        return fn(arg); /* no handler: behave as before */
    sigjmp_buf jb;
    sigjmp_buf *volatile prev = tl_jump;
    if (sigsetjmp(jb, 1)) {
        tl_jump = prev;
        *faulted = true;
        return GM_EIO;
    }
    tl_jump = &jb;
    int rc = fn(arg);
    tl_jump = prev;
    return rc;
}
