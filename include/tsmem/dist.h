/*
 * <tsmem/dist.h> - data-parallel training across processes (SPEC section 7).
 *
 * A C program joins a c10d process group (libtorch's Gloo backend over TCP,
 * the one torch.distributed uses on CPU) with one call, and runs collectives
 * on tsmem tensors. The group is the one PyTorch builds, by the same steps,
 * so C ranks and Python ranks (torch.distributed.init_process_group("gloo"))
 * can share it: the same collective called in the same order on every rank
 * matches, whatever language each rank is written in.
 *
 * Launch
 *   torchrun --nproc_per_node=2 ./train          (nothing to change)
 *   for r in 0 1; do RANK=$r WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 \
 *     MASTER_PORT=29500 ./train & done; wait
 *   Two machines: on each, RANK (0..WORLD_SIZE-1, rank 0 on the machine at
 *   MASTER_ADDR), the same WORLD_SIZE, MASTER_ADDR (rank 0's address as the
 *   others reach it) and MASTER_PORT; GLOO_SOCKET_IFNAME=eth0 picks the
 *   network interface when the host name does not resolve to a routable
 *   address.
 *
 * Errors are section 3's: a status (or NULL) and ts_last_error(). A failed
 * collective (a peer that exited, one that never arrived, a timeout) is
 * TS_ERR_TORCH with a message naming the rank and the cause; the group is
 * then unusable: destroy it (and usually exit). Nothing waits longer than
 * the timeout: ts_dist_init's argument, else env TSMEM_DIST_TIMEOUT
 * (seconds), else 60 s.
 *
 * Shape checks: when every rank of the group is a tsmem program, each
 * collective first exchanges a small signature (collective, dtype, shape,
 * root, op): different shapes, dtypes or collectives on different ranks are
 * TS_ERR_SHAPE (or TS_ERR_DTYPE / TS_ERR_ARG) on every rank, with the shapes
 * named, before any data moves. With a Python rank in the group the
 * signature exchange is off (Python would not take part in it), and a
 * mismatch is only what Gloo notices (Gloo aborts the process on mismatched
 * sizes, as it does under PyTorch). TSMEM_DIST_CHECK=0 on any rank turns
 * the checks off for the whole group (one small all-gather, i.e. one round
 * trip, less per collective; bench/README.md measures it). The checks are
 * decided once, at ts_dist_init, the same way on every rank.
 *
 * Tensors: CPU tensors of any dtype of ts_dtype for broadcast and gathers;
 * floating and integer dtypes for reductions. In-place collectives write
 * the tensor they are given; the others make a new tensor, owned as SPEC
 * section 2 says (the current scope, else the caller).
 *
 * Threads: one collective at a time per process, called in the same order
 * on every rank (as torch.distributed requires); the calls themselves are
 * thread-safe.
 */
#ifndef TSMEM_DIST_H
#define TSMEM_DIST_H

#include <tsmem.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libtsmem is built with hidden visibility: these are its public API. */
#pragma GCC visibility push(default)

/* ------------------------------------------------------------ the group */

/* Joins the process group. Each argument falls back to the environment
 * that torchrun sets when it is "unset":
 *   rank < 0          RANK
 *   world_size <= 0   WORLD_SIZE
 *   master_addr NULL  MASTER_ADDR, else "127.0.0.1"
 *   master_port <= 0  MASTER_PORT, else 29500
 *   timeout_s <= 0    TSMEM_DIST_TIMEOUT, else 60
 * Rank 0 serves the rendezvous store (TCPStore) on master_port unless the
 * program runs under torchrun, whose agent serves it. Returns once every
 * rank has joined, or fails with TS_ERR_TORCH when one has not within the
 * timeout. Already initialised: TS_ERR_BUSY. Missing or bad values: TS_ERR_ARG.
 */
ts_status ts_dist_init(int rank, int world_size, const char *master_addr,
                       int master_port, double timeout_s);
/* ts_dist_init(-1, 0, NULL, 0, 0): everything from the environment. */
ts_status ts_dist_init_env(void);
/* Leaves the group: waits for outstanding work of this process (bounded by
 * the timeout), closes connections and the store. Not initialised:
 * TS_ERR_ARG. After it ts_dist_init may be called again. */
ts_status ts_dist_destroy(void);

bool ts_dist_is_initialized(void);
/* -1 when not initialised (error TS_ERR_ARG set). */
int ts_dist_rank(void);
int ts_dist_world_size(void);
/* LOCAL_RANK from the environment, else the rank; -1 when not initialised. */
int ts_dist_local_rank(void);
/* The timeout in force, in seconds (0 when not initialised). */
double ts_dist_timeout(void);

/* ---------------------------------------------------------- collectives */

typedef enum ts_dist_op {
  TS_DIST_SUM,
  TS_DIST_MEAN, /* sum, then divided by the world size (floating dtypes) */
  TS_DIST_MAX,
  TS_DIST_MIN,
  TS_DIST_PRODUCT
} ts_dist_op;

/* t = op over ranks of t, in place, on every rank. */
ts_status ts_dist_all_reduce(ts_tensor *t, ts_dist_op op);
/* t = root's t, in place, on every rank. root in 0..world_size-1. */
ts_status ts_dist_broadcast(ts_tensor *t, int root);
/* A new tensor of shape [world_size, t's shape...]: row r is rank r's t. */
ts_tensor *ts_dist_all_gather(const ts_tensor *t);
/* op over ranks of t (whose first dimension is a multiple of world_size),
 * then this rank's slice: a new tensor of shape [size(t,0)/world_size, ...]
 * holding rows rank*k .. rank*k+k-1 of the reduction. Gloo has no native
 * reduce-scatter in libtorch 1.13: this is an all-reduce of a copy, so a
 * Python rank pairs it with dist.all_reduce on a copy. */
ts_tensor *ts_dist_reduce_scatter(const ts_tensor *t, ts_dist_op op);
/* Returns on every rank once every rank has called it. */
ts_status ts_dist_barrier(void);

/* ----------------------------------------------------------- async work */

/* A collective in flight. The handle follows SPEC section 2 like a tensor:
 * it is owned by the scope current when the collective started (outside any
 * scope: by the caller, who must wait for it). It ends when it is waited
 * for, or when its scope ends.
 *
 * Ending a scope that owns unfinished work WAITS for the work (bounded by
 * the timeout) before the scope's tensors are freed, so no collective ever
 * writes freed memory and the other ranks are not left waiting; if that
 * wait fails, its error becomes the thread's last error. A handle whose
 * scope ended, or that was waited for already, is detected: ts_dist_wait
 * returns TS_ERR_STALE_HANDLE, nothing crashes.
 *
 * While pending, a work handle counts as one tensor of 0 bytes in
 * ts_memory() and ts_scope_tensor_count() (it is tracked by the scope like
 * one); the leak report shows unwaited manual work at its call site.
 * The tensors a collective writes hold their final values only after the
 * wait (a MEAN divides then; a gather or reduce-scatter result is filled by
 * then). */
typedef struct ts_dist_work ts_dist_work;

ts_dist_work *ts_dist_all_reduce_async(ts_tensor *t, ts_dist_op op);
ts_dist_work *ts_dist_broadcast_async(ts_tensor *t, int root);
/* *out gets the result tensor at once (owned like any new tensor); it is
 * filled when the work completes. */
ts_dist_work *ts_dist_all_gather_async(const ts_tensor *t, ts_tensor **out);
ts_dist_work *ts_dist_reduce_scatter_async(const ts_tensor *t, ts_dist_op op,
                                           ts_tensor **out);
ts_dist_work *ts_dist_barrier_async(void);
/* Waits for the work to finish and ends the handle (also when the work
 * failed: its error is returned). */
ts_status ts_dist_wait(ts_dist_work *w);
/* *done = whether the work has finished (then ts_dist_wait returns at once).
 * Does not end the handle. */
ts_status ts_dist_test(ts_dist_work *w, bool *done);
/* Moves the work from the current scope to its parent (at depth 1: to the
 * caller), like ts_escape for a tensor. */
ts_dist_work *ts_dist_work_escape(ts_dist_work *w);

/* ------------------------------------------------ data-parallel helpers */

/* Copies root's params[0..n-1] into every rank's (in place, without
 * autograd), in flattened buckets: call once after building the model so
 * every rank starts from the same parameters. */
ts_status ts_dist_broadcast_params(ts_tensor *const *params, int n, int root);
/* After ts_backward on every rank: replaces each parameter's gradient with
 * its mean over ranks, like PyTorch's DistributedDataParallel: gradients
 * are flattened into buckets of about bucket_bytes (0: 25 MB, DDP's
 * default; env TSMEM_DIST_BUCKET_MB), from the last parameter to the first,
 * each bucket all-reduced asynchronously, all waited for. A parameter with
 * no gradient on this rank counts as a zero gradient and receives the mean.
 * Every rank passes the same parameters (shapes, dtypes, order). */
ts_status ts_dist_average_gradients(ts_tensor *const *params, int n,
                                    size_t bucket_bytes);

/* The indices of the data set this rank reads in an epoch, as
 * torch.utils.data.DistributedSampler(dataset_len, num_replicas=world_size,
 * rank=rank, shuffle, seed, drop_last) after set_epoch(epoch) gives them
 * (the same permutation: libtorch's randperm seeded with seed + epoch), as a
 * new int64 tensor of ts_dist_sampler_len(...) elements. rank < 0 or
 * world_size <= 0: the process group's. Every rank gets as many indices
 * (padded by repeating, or cut with drop_last). */
ts_tensor *ts_dist_sampler(int64_t dataset_len, int rank, int world_size,
                           bool shuffle, uint64_t seed, uint64_t epoch,
                           bool drop_last);
/* How many indices each rank gets; -1 on a bad argument (error set). */
int64_t ts_dist_sampler_len(int64_t dataset_len, int world_size,
                            bool drop_last);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* TSMEM_DIST_H */
