/*
 * stats.c - ts_memory, the leak report and TSMEM_LEAK_REPORT=1.
 *
 * The counters live in handle.c (they change with the slots, under its
 * lock); this file reads them and prints. The report groups live tensors by
 * allocation site: the one the tsmem pass recorded ("file:line in
 * function"), else the return address of the call that made the tensor,
 * symbolized ("function at file:line (binary)", symbolize.c).
 */
#include "internal.h"
#include "symbolize.h"

#include <stdlib.h>
#include <string.h>

ts_memory_stats ts_memory(void) {
  ts__ok_fast();
  return ts__memory();
}

typedef struct site_sum {
  ts__site site;
  void *ret;
  size_t count, bytes;
} site_sum;

static int by_site(const void *a, const void *b) {
  const ts__live *x = a, *y = b;
  if (x->site != y->site)
    return x->site < y->site ? -1 : 1;
  if (x->site || x->ret == y->ret)
    return 0;
  return (uintptr_t)x->ret < (uintptr_t)y->ret ? -1 : 1;
}

static int by_bytes(const void *a, const void *b) {
  const site_sum *x = a, *y = b;
  if (x->bytes != y->bytes)
    return x->bytes > y->bytes ? -1 : 1;
  return x->count > y->count ? -1 : x->count < y->count;
}

static void print_site(FILE *out, const site_sum *s) {
  fprintf(out, "  %zu tensors, %zu bytes at ", s->count, s->bytes);
  const ts__sites *sites = ts__find_sites(s->site);
  if (sites) {
    unsigned line = (unsigned)(s->site & ((1u << TS__SITE_LINE_BITS) - 1));
    fprintf(out, "%s:%u in %s\n", sites->file, line, sites->function);
    return;
  }
  char name[1024];
  fprintf(out, "%s\n", ts__symbolize(s->ret, name, sizeof name));
}

/* Prints the report with `when` after the header's "alive"; returns the
 * number of live tensors. */
static size_t report(FILE *out, const char *when, bool only_if_leaks) {
  /* Tensors may come and go while we allocate: retry until the snapshot
   * fits. */
  size_t cap = 0, n;
  ts__live *live = NULL;
  for (;;) {
    n = ts__live_tensors(live, cap);
    if (n <= cap)
      break;
    free(live);
    cap = n + n / 4 + 16;
    live = malloc(cap * sizeof *live);
    if (!live) {
      ts__fail(TS_ERR_OOM, "ts_leak_report",
               "out of memory for the report of %zu tensors", n);
      return n;
    }
  }
  if (!out || (only_if_leaks && n == 0)) {
    free(live);
    return n;
  }
  if (n) /* live is NULL when nothing is alive: qsort needs an array */
    qsort(live, n, sizeof *live, by_site);
  site_sum *sums = malloc((n ? n : 1) * sizeof *sums);
  size_t nsums = 0, bytes = 0;
  for (size_t i = 0; sums && i < n; i++) {
    bytes += live[i].nbytes;
    if (!nsums || by_site(&live[i], &(ts__live){sums[nsums - 1].site,
                                                sums[nsums - 1].ret, 0}))
      sums[nsums++] = (site_sum){live[i].site, live[i].ret, 0, 0};
    sums[nsums - 1].count++;
    sums[nsums - 1].bytes += live[i].nbytes;
  }
  if (sums)
    qsort(sums, nsums, sizeof *sums, by_bytes);
  fprintf(out, "tsmem: leak report: %zu tensors, %zu bytes alive%s\n", n, bytes,
          when);
  for (size_t i = 0; i < nsums; i++)
    print_site(out, &sums[i]);
  fflush(out);
  free(sums);
  free(live);
  return n;
}

size_t ts_leak_report(FILE *out) {
  size_t n = report(out, "", false);
  ts__ok_fast();
  return n;
}

static void report_at_exit(void) { report(stderr, " at exit", true); }

/* Registered from a constructor: libtsmem's constructors run after
 * libtorch's, so this atexit handler runs before libtorch's static
 * destructors, while its tensors can still be inspected. */
__attribute__((constructor)) static void stats_read_env(void) {
  const char *v = getenv("TSMEM_LEAK_REPORT");
  if (v && v[0] == '1' && v[1] == '\0')
    atexit(report_at_exit);
}
