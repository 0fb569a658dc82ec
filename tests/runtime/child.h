/*
 * child.h - run this test binary again as a child with extra environment,
 * capture its stderr and exit status. The child notices TSMEM_TEST_CHILD
 * (child_mode()) in its first test, does the one thing asked, and exits:
 * for what only happens at load or at exit (TSMEM_STRICT, the leak report)
 * or ends the process (strict mode's abort).
 */
#ifndef TSMEM_TESTS_CHILD_H
#define TSMEM_TESTS_CHILD_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

typedef struct {
  int exit_code; /* -1 when killed */
  int signal;    /* 0 unless killed */
  char err[8192];
} child_result;

/* The mode the parent asked for, or NULL in the parent. */
static inline const char *child_mode(void) {
  return getenv("TSMEM_TEST_CHILD");
}

/* Runs /proc/self/exe with mode and NAME=VALUE pairs (NULL-terminated). */
static inline child_result child_run(const char *mode, const char *const *env) {
  child_result r = {0, 0, {0}};
  /* The environment is built before fork: the child of a threaded process
   * should only exec. */
  static char mode_var[128], *envp[512];
  snprintf(mode_var, sizeof mode_var, "TSMEM_TEST_CHILD=%s", mode);
  size_t k = 0;
  envp[k++] = mode_var;
  /* The child leaves on purpose (abort, exit with tensors alive). */
  envp[k++] = (char *)"ASAN_OPTIONS=detect_leaks=0:handle_abort=0";
  for (size_t i = 0; env && env[i] && k < 500; i++)
    envp[k++] = (char *)env[i];
  for (size_t i = 0; environ[i] && k < 511; i++)
    if (strncmp(environ[i], "ASAN_OPTIONS=", 13) &&
        strncmp(environ[i], "TSMEM_", 6))
      envp[k++] = environ[i];
  envp[k] = NULL;
  int fd[2];
  if (pipe(fd) != 0) {
    r.exit_code = -2;
    return r;
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fd[1], 2);
    close(fd[0]);
    close(fd[1]);
    char *argv[] = {(char *)"child", NULL};
    execve("/proc/self/exe", argv, envp);
    _exit(127);
  }
  close(fd[1]);
  size_t n = 0;
  ssize_t got;
  while ((got = read(fd[0], r.err + n, sizeof r.err - 1 - n)) > 0)
    n += (size_t)got;
  r.err[n] = '\0';
  close(fd[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  if (WIFSIGNALED(st)) {
    r.exit_code = -1;
    r.signal = WTERMSIG(st);
  } else {
    r.exit_code = WEXITSTATUS(st);
  }
  return r;
}

#endif /* TSMEM_TESTS_CHILD_H */
