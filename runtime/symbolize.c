/*
 * symbolize.c - names for code addresses, through dladdr and addr2line.
 *
 * dladdr alone names only exported functions, so a leak made in a static
 * function of an executable showed as "leak(+0x133f)". addr2line (binutils,
 * installed with every C compiler) reads the binary's symbol table and debug
 * information: "make_batch at train.c:42 (train)".
 */
#define _GNU_SOURCE /* dladdr */
#include "symbolize.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void strip_newline(char *s) { s[strcspn(s, "\r\n")] = '\0'; }

/* True when loc ("dir/file:line") is in tsmem.h, whose inline functions
 * (ts_scope_end, the scope guards) are tsmem's, not the program's. */
static int in_tsmem_header(const char *loc) {
  const char *colon = strrchr(loc, ':');
  size_t len = colon ? (size_t)(colon - loc) : strlen(loc);
  return len >= 7 && strncmp(loc + len - 7, "tsmem.h", 7) == 0 &&
         (len == 7 || loc[len - 8] == '/');
}

/* Runs the symbolizer on `binary` at file address `addr`: the function's
 * name and "file:line" ("??" where unknown). With inlining (-i), the
 * innermost frame that is not in tsmem.h: a ts_scope_end inlined into the
 * program names the program's function and line. False if it could not
 * run. */
static int run_addr2line(const char *binary, uintptr_t addr, char *fn,
                         size_t fn_n, char *loc, size_t loc_n) {
  const char *tool = getenv("TSMEM_SYMBOLIZER");
  if (tool && strcmp(tool, "0") == 0)
    return 0;
  if (!tool || !*tool)
    tool = "addr2line";
  /* The path goes in single quotes; one with a quote in it is not run. */
  if (strchr(binary, '\'') || strchr(tool, '\''))
    return 0;
  char cmd[4096];
  int len =
      snprintf(cmd, sizeof cmd, "'%s' -f -C -i -e '%s' 0x%llx 2>/dev/null",
               tool, binary, (unsigned long long)addr);
  if (len < 0 || (size_t)len >= sizeof cmd)
    return 0;
  FILE *p = popen(cmd, "r");
  if (!p)
    return 0;
  int ok = 0, chosen = 0;
  char f[512], l[1024];
  while (fgets(f, sizeof f, p) && fgets(l, sizeof l, p)) {
    strip_newline(f);
    strip_newline(l);
    if (!chosen) { /* the innermost frame, or the first outside tsmem.h */
      snprintf(fn, fn_n, "%s", f);
      snprintf(loc, loc_n, "%s", l);
      ok = 1;
      chosen = !in_tsmem_header(l);
    }
  }
  if (pclose(p) != 0)
    ok = 0;
  return ok;
}

char *ts__symbolize(const void *ret, char *buf, size_t n) {
  Dl_info info;
  if (!ret || !dladdr(ret, &info) || !info.dli_fname) {
    snprintf(buf, n, "%p (unknown site)", ret);
    return buf;
  }
  const char *path = info.dli_fname;
  const char *bin = strrchr(path, '/');
  bin = bin ? bin + 1 : path;
  /* The main program is "" to dladdr on some systems. */
  char self[4096];
  if (!*path) {
    ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
    if (k > 0) {
      self[k] = '\0';
      path = self;
      bin = strrchr(self, '/') ? strrchr(self, '/') + 1 : self;
    }
  }
  /* The call instruction is the byte before the return address. A
   * position-independent binary is symbolized at its offset, a fixed one at
   * the address itself. */
  uintptr_t at = (uintptr_t)ret - 1;
  const ElfW(Ehdr) *elf = info.dli_fbase;
  if (elf && elf->e_type == ET_DYN)
    at -= (uintptr_t)info.dli_fbase;
  char fn[512], loc[1024];
  if (run_addr2line(path, at, fn, sizeof fn, loc, sizeof loc) &&
      strcmp(fn, "??") != 0) {
    /* addr2line says "??:0" or "file:?" where it knows no line. */
    size_t len = strlen(loc);
    int has_line = strncmp(loc, "??", 2) != 0 && len > 2 &&
                   strcmp(loc + len - 2, ":?") != 0 &&
                   strcmp(loc + len - 2, ":0") != 0;
    if (has_line)
      snprintf(buf, n, "%s at %s (%s)", fn, loc, bin);
    else
      snprintf(buf, n, "%s (%s)", fn, bin);
    return buf;
  }
  if (info.dli_sname)
    snprintf(buf, n, "%s(%s+0x%zx)", bin, info.dli_sname,
             (size_t)((const char *)ret - (const char *)info.dli_saddr));
  else
    snprintf(buf, n, "%s(+0x%zx)", bin,
             (size_t)((const char *)ret - (const char *)info.dli_fbase));
  return buf;
}
