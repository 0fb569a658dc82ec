/*
 * trace.c - TSMEM_TRACE=path.json: a Chrome trace event file of scopes and
 * memory. Placeholder until the trace lands: tracing is never on.
 */
#include "internal.h"

bool ts__trace_on = false;

void ts__trace_scope_begin(ts_scope_id id, const ts__site *site) {
  (void)id;
  (void)site;
}
void ts__trace_scope_end(ts_scope_id id) { (void)id; }
void ts__trace_memory(size_t live_tensors, size_t live_bytes) {
  (void)live_tensors;
  (void)live_bytes;
}
