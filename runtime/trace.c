/*
 * trace.c - TSMEM_TRACE=path.json: a memory timeline in Chrome's trace event
 * format (opens in Perfetto or chrome://tracing).
 *
 * Scopes become duration events ("B"/"E") on their thread, with the scope
 * id as an argument; live tensors and live bytes become two counter tracks
 * ("C"). The file is a JSON object {"traceEvents": [...]} that
 * is closed at exit, so it is valid JSON once the program ends normally.
 *
 * Tracing is off unless the variable is set; the runtime checks ts__trace_on
 * before calling any hook, so the untraced fast path pays one load.
 */
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

bool ts__trace_on = false;

static FILE *trace_file;
static pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;
static bool trace_first_event = true;
static struct timespec trace_start;
static int trace_pid;

static double trace_now_us(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - trace_start.tv_sec) * 1e6 +
         (double)(now.tv_nsec - trace_start.tv_nsec) / 1e3;
}

static long trace_tid(void) {
  static __thread long tid;
  if (!tid)
    tid = (long)syscall(SYS_gettid);
  return tid;
}

/* Starts one event object; the caller writes the rest and the closing brace.
 * Holds trace_lock. */
static void trace_begin_event(void) {
  fputs(trace_first_event ? "\n" : ",\n", trace_file);
  trace_first_event = false;
}

void ts__trace_scope_begin(ts_scope_id id) {
  pthread_mutex_lock(&trace_lock);
  if (trace_file) {
    trace_begin_event();
    fprintf(trace_file,
            "{\"name\":\"scope\",\"cat\":\"scope\",\"ph\":\"B\",\"ts\":%.3f,"
            "\"pid\":%d,"
            "\"tid\":%ld,\"args\":{\"scope\":%llu}}",
            trace_now_us(), trace_pid, trace_tid(), (unsigned long long)id);
  }
  pthread_mutex_unlock(&trace_lock);
}

void ts__trace_scope_end(ts_scope_id id) {
  pthread_mutex_lock(&trace_lock);
  if (trace_file) {
    trace_begin_event();
    fprintf(trace_file,
            "{\"cat\":\"scope\",\"ph\":\"E\",\"ts\":%.3f,\"pid\":%d,"
            "\"tid\":%ld,\"args\":{\"scope\":%llu}}",
            trace_now_us(), trace_pid, trace_tid(), (unsigned long long)id);
  }
  pthread_mutex_unlock(&trace_lock);
}

void ts__trace_memory(size_t live_tensors, size_t live_bytes) {
  pthread_mutex_lock(&trace_lock);
  if (trace_file) {
    double ts = trace_now_us();
    trace_begin_event();
    fprintf(trace_file,
            "{\"name\":\"live tensors\",\"ph\":\"C\",\"ts\":%.3f,\"pid\":%d,"
            "\"args\":{\"tensors\":%zu}}",
            ts, trace_pid, live_tensors);
    trace_begin_event();
    fprintf(trace_file,
            "{\"name\":\"live bytes\",\"ph\":\"C\",\"ts\":%.3f,\"pid\":%d,"
            "\"args\":{\"bytes\":%zu}}",
            ts, trace_pid, live_bytes);
  }
  pthread_mutex_unlock(&trace_lock);
}

static void trace_close(void) {
  pthread_mutex_lock(&trace_lock);
  if (trace_file) {
    fputs("\n],\"displayTimeUnit\":\"ms\"}\n", trace_file);
    fclose(trace_file);
    trace_file = NULL;
    ts__trace_on = false;
  }
  pthread_mutex_unlock(&trace_lock);
}

__attribute__((constructor)) static void trace_open_from_env(void) {
  const char *path = getenv("TSMEM_TRACE");
  if (!path || !*path)
    return;
  trace_file = fopen(path, "w");
  if (!trace_file) {
    fprintf(stderr,
            "tsmem: TSMEM_TRACE: cannot open '%s' for writing; set "
            "TSMEM_TRACE to a writable file path (tracing is off)\n",
            path);
    return;
  }
  clock_gettime(CLOCK_MONOTONIC, &trace_start);
  trace_pid = (int)getpid();
  fputs("{\"traceEvents\":[", trace_file);
  trace_begin_event();
  fprintf(trace_file,
          "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%d,"
          "\"args\":{\"name\":\"tsmem\"}}",
          trace_pid);
  atexit(trace_close);
  ts__trace_on = true;
}
