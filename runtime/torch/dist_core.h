/*
 * dist_core.h - the C interface to libtorch's c10d (dist.cpp), under
 * <tsmem/dist.h>'s calls (runtime/dist/dist.c).
 *
 * Like tensor_core.h: every function catches every C++ exception and reports
 * through ts__fail() naming `call`; arguments are as valid as C can check
 * (live tensors, ops and roots in range, an initialised group where one is
 * needed: the C side checks tsd_ready() first).
 */
#ifndef TSMEM_RUNTIME_TORCH_DIST_CORE_H
#define TSMEM_RUNTIME_TORCH_DIST_CORE_H

#include "tensor_core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tsd_config {
  int rank, world_size;
  const char *master_addr;
  int master_port;
  double timeout_s;
  bool agent_store;  /* torchrun's agent serves the store */
  int restart_count; /* TORCHELASTIC_RESTART_COUNT under torchrun */
  bool check;        /* signature checks wanted on this rank */
} tsd_config;

ts_status tsd_init(const char *call, const tsd_config *cfg);
ts_status tsd_destroy(const char *call);
bool tsd_ready(void);
int tsd_rank(void);
int tsd_world_size(void);
double tsd_timeout(void);

/* The collectives; the values match the signature exchanged by the checks. */
typedef enum tsd_kind {
  TSD_ALL_REDUCE = 1,
  TSD_BROADCAST,
  TSD_ALL_GATHER,
  TSD_REDUCE_SCATTER,
  TSD_BARRIER,
  TSD_AVERAGE_GRADIENTS,
  TSD_BROADCAST_PARAMS
} tsd_kind;

/* A collective in flight (a c10d Work plus what to do when it finishes). */
typedef struct tsd_work tsd_work;

/* Checks the signature across ranks (when checks are on) and starts the
 * collective on t (NULL for a barrier). op is a ts_dist_op, root a rank.
 * For all-gather and reduce-scatter *out gets the new result tensor. NULL
 * with the error set on failure (nothing started). */
tsd_work *tsd_start(const char *call, tsd_kind kind, const tsc_tensor *t,
                    int op, int root, tsc_tensor **out);
/* Waits for w (once; later calls return the first outcome) and finishes it
 * (MEAN's division, the reduce-scatter slice, copies back). */
ts_status tsd_wait(const char *call, tsd_work *w);
/* Whether w has finished (no error paths). */
bool tsd_done(tsd_work *w);
/* Frees w (waits first if it was never waited for). */
void tsd_free(tsd_work *w);

/* A 0-byte uint8 tensor whose storage calls on_release(ctx) when its last
 * reference goes: a work's stand-in in a scope. */
tsc_tensor *tsd_token(const char *call, void (*on_release)(void *), void *ctx);

ts_status tsd_broadcast_params(const char *call, tsc_tensor *const *params,
                               int n, int root);
ts_status tsd_average_gradients(const char *call, tsc_tensor *const *params,
                                int n, size_t bucket_bytes);
/* DistributedSampler's indices (arguments checked by the caller). */
tsc_tensor *tsd_sampler(const char *call, int64_t len, int rank, int world,
                        bool shuffle, uint64_t seed, uint64_t epoch,
                        bool drop_last, int64_t per_rank);

#ifdef __cplusplus
}
#endif

#endif /* TSMEM_RUNTIME_TORCH_DIST_CORE_H */
