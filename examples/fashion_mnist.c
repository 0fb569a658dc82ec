/*
 * fashion_mnist.c - a CNN trained on Fashion-MNIST in C (issue 12), alone or
 * data-parallel under torchrun (issue 13).
 *
 *   ./fashion_mnist [--epochs 2] [--seed 1] [--batch-limit N]
 *                   [--train-limit N] [--checkpoint fashion_mnist.pt]
 *                   [--threads 1] [--data DIR]
 *   torchrun --nproc_per_node=2 ./fashion_mnist
 *   /usr/bin/python3 examples/fashion_mnist_eval.py fashion_mnist.pt
 *
 * The model, its initialisation (PyTorch's defaults), Adam (lr 1e-3),
 * the batch size (64), the normalisation and the schedule are those of
 * bench/fashion_mnist_torch.py, its PyTorch twin:
 *   conv(1->16, 5x5, pad 2) relu maxpool 2, conv(16->32, 5x5, pad 2) relu
 *   maxpool 2, flatten, fc(1568->128) relu dropout(0.25), fc(128->10).
 *
 * Memory: the parameters and Adam's state live in a ts_store, outside every
 * scope, until ts_store_free. Each training step is one TS_SCOPE iteration:
 * the batch, the activations, the loss and the autograd graph are freed when
 * the step ends, so the live tensors printed after each epoch stay flat.
 *
 * Data-parallel: with WORLD_SIZE > 1 (torchrun sets it) every rank joins the
 * process group, takes rank 0's initial parameters, reads its share of each
 * epoch (<tsmem/dist.h>'s sampler, torch's DistributedSampler split) in
 * batches of 64 / WORLD_SIZE, and averages gradients after each backward,
 * so N ranks take the same steps as one process on batches of 64. Each
 * rank evaluates a slice of the test set; rank 0 prints and saves the
 * checkpoint.
 */
#include <tsmem.h>
#include <tsmem/checkpoint.h>
#include <tsmem/data.h>
#include <tsmem/dist.h>
#include <tsmem/nn.h>
#include <tsmem/ops.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Shared with bench/fashion_mnist_torch.py: keep them equal. */
enum { BATCH = 64, EVAL_BATCH = 1000, CLASSES = 10 };
static const double LR = 1e-3;
static const float MEAN = 0.2860f, STD = 0.3530f; /* the training set's */

typedef struct {
  int epochs;
  uint64_t seed;
  int64_t batch_limit; /* batches per epoch, 0: all */
  int64_t train_limit; /* training images, 0: all */
  const char *checkpoint;
  const char *rank_checkpoints; /* every rank saves PREFIX<rank>.pt */
  const char *data;
  int threads;
} options;

/* ----------------------------------------------------------------- model */

typedef struct {
  ts_store *store;
  ts_nn_conv2d conv1, conv2;
  ts_nn_max_pool2d pool;
  ts_nn_linear fc1, fc2;
  ts_nn_dropout dropout;
} model;

/* PyTorch's default initialisers, in the twin's order (the same seed gives
 * the same start as torch.manual_seed then FashionCNN()). */
static ts_status model_init(model *m) {
  m->store = ts_store_new();
  if (!m->store)
    return ts_last_status();
  ts_conv2d_options c = ts_conv2d_defaults();
  c.padding[0] = c.padding[1] = 2;
  ts_status st;
  if ((st = ts_nn_conv2d_init(&m->conv1, m->store, "conv1", 1, 16, 5, 5, &c)) ||
      (st =
           ts_nn_conv2d_init(&m->conv2, m->store, "conv2", 16, 32, 5, 5, &c)) ||
      (st = ts_nn_linear_init(&m->fc1, m->store, "fc1", 32 * 7 * 7, 128,
                              true)) ||
      (st = ts_nn_linear_init(&m->fc2, m->store, "fc2", 128, CLASSES, true)) ||
      (st = ts_nn_dropout_init(&m->dropout, m->store, 0.25)) ||
      (st = ts_nn_max_pool2d_init(&m->pool, 2, 2, 0)))
    return st;
  return TS_OK;
}

/* Runs in the caller's scope: what it makes belongs to the training step. */
TS_CALLER_SCOPE static ts_tensor *forward(const model *m, const ts_tensor *x) {
  ts_tensor *h = ts_relu(ts_nn_conv2d_forward(&m->conv1, x));
  h = ts_nn_max_pool2d_forward(&m->pool, h);
  h = ts_relu(ts_nn_conv2d_forward(&m->conv2, h));
  h = ts_nn_max_pool2d_forward(&m->pool, h);
  h = ts_flatten_using_ints(h, 1, -1);
  h = ts_relu(ts_nn_linear_forward(&m->fc1, h));
  h = ts_nn_dropout_forward(&m->dropout, h);
  return ts_nn_linear_forward(&m->fc2, h);
}

/* ------------------------------------------------------------------ main */

static double clock_s(clockid_t c) {
  struct timespec t;
  clock_gettime(c, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int fail(const char *what) {
  fprintf(stderr, "fashion_mnist: %s: %s\n", what, ts_last_error());
  return 1;
}

/* Test accuracy: no gradients, dropout off, batches of EVAL_BATCH. With
 * several ranks each evaluates its slice of the test set (contiguous, no
 * image twice) and the counts are summed: every rank gets the accuracy of
 * the whole set, as one process would. -1 on error. */
static double evaluate(model *m, ts_loader *test, int64_t n, bool dist,
                       int rank, int world) {
  int64_t lo = n * rank / world, hi = n * (rank + 1) / world;
  int64_t *idx = malloc((size_t)(hi - lo) * sizeof *idx);
  if (!idx)
    return -1.0;
  for (int64_t i = lo; i < hi; i++)
    idx[i - lo] = i;
  bool ok = ts_loader_set_indices(test, idx, hi - lo) == TS_OK;
  free(idx);
  bool grad = ts_set_grad_enabled(false);
  ts_store_train(m->store, false);
  int64_t right = 0;
  int64_t batches = ts_loader_num_batches(test);
  TS_SCOPE for (int64_t b = 0; ok && b < batches; b++) {
    ts_tensor *x, *y;
    if (!ts_loader_next(test, &x, &y)) {
      ok = false;
      break;
    }
    ts_tensor *pred = ts_argmax_dim(forward(m, x), 1);
    right += (int64_t)ts_item(ts_sum(ts_eq_Tensor(pred, y)));
  }
  if (ok && dist) {
    TS_SCOPE {
      ts_tensor *r = ts_full(TS_SHAPE(1), TS_INT64, (double)right);
      ok = r && ts_dist_all_reduce(r, TS_DIST_SUM) == TS_OK;
      if (ok)
        right = (int64_t)ts_item(r);
    }
  }
  ts_store_train(m->store, true);
  ts_set_grad_enabled(grad);
  return ok ? (double)right / (double)n : -1.0;
}

static void usage(void) {
  fprintf(stderr,
          "usage: fashion_mnist [--epochs N] [--seed S] [--batch-limit N] "
          "[--train-limit N]\n"
          "                     [--checkpoint PATH|-] [--threads N] [--data "
          "DIR]\n"
          "                     [--rank-checkpoints PREFIX]\n");
}

static bool parse(int argc, char **argv, options *o) {
  *o = (options){.epochs = 2,
                 .seed = 1,
                 .checkpoint = "fashion_mnist.pt",
                 .data = TS_FASHION_MNIST_DIR,
                 .threads = 1};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) {
      usage();
      return false;
    }
    i++;
    if (!strcmp(a, "--epochs"))
      o->epochs = atoi(v);
    else if (!strcmp(a, "--seed"))
      o->seed = strtoull(v, NULL, 10);
    else if (!strcmp(a, "--batch-limit"))
      o->batch_limit = atoll(v);
    else if (!strcmp(a, "--train-limit"))
      o->train_limit = atoll(v);
    else if (!strcmp(a, "--checkpoint"))
      o->checkpoint = strcmp(v, "-") ? v : NULL;
    else if (!strcmp(a, "--rank-checkpoints"))
      o->rank_checkpoints = v;
    else if (!strcmp(a, "--threads"))
      o->threads = atoi(v);
    else if (!strcmp(a, "--data"))
      o->data = v;
    else {
      usage();
      return false;
    }
  }
  return o->epochs >= 1 && o->threads >= 1;
}

int main(int argc, char **argv) {
  options opt;
  if (!parse(argc, argv, &opt))
    return 2;
  ts_set_num_threads(opt.threads);
  ts_manual_seed(opt.seed);

  const char *ws_env = getenv("WORLD_SIZE");
  bool dist = ws_env && atoi(ws_env) > 1;
  int rank = 0, world = 1;
  if (dist) {
    /* Loaded machines (ctest -j) can stall a rank for a while: wait up to
     * 10 minutes for the others unless TSMEM_DIST_TIMEOUT says otherwise. */
    double timeout = getenv("TSMEM_DIST_TIMEOUT") ? 0 : 600;
    if (ts_dist_init(-1, 0, NULL, 0, timeout) != TS_OK)
      return fail("ts_dist_init");
    rank = ts_dist_rank();
    world = ts_dist_world_size();
    if (BATCH % world != 0) {
      fprintf(stderr, "fashion_mnist: WORLD_SIZE must divide %d\n", BATCH);
      return 2;
    }
  }
  int rc = 1;
  ts_dataset *train = NULL, *test = NULL;
  ts_loader *tl = NULL, *el = NULL;
  model m = {0};
  ts_optim *adam = NULL;
  int64_t *indices = NULL;

  train = ts_dataset_load_mnist(opt.data, "train");
  test = ts_dataset_load_mnist(opt.data, "t10k");
  if (!train || !test) {
    fail("loading Fashion-MNIST");
    goto out;
  }
  ts_loader_opts lo = ts_loader_defaults(BATCH / world);
  lo.seed = opt.seed;
  lo.limit = opt.train_limit;
  lo.mean = MEAN;
  lo.std = STD;
  tl = ts_loader_new(train, &lo);
  ts_loader_opts eo = ts_loader_defaults(EVAL_BATCH);
  eo.shuffle = false;
  eo.mean = MEAN;
  eo.std = STD;
  el = ts_loader_new(test, &eo);
  if (!tl || !el) {
    fail("ts_loader_new");
    goto out;
  }
  int64_t train_len =
      opt.train_limit > 0 && opt.train_limit < ts_dataset_len(train)
          ? opt.train_limit
          : ts_dataset_len(train);

  if (model_init(&m) != TS_OK) {
    fail("building the model");
    goto out;
  }
  adam = ts_optim_adam(m.store, ts_adam_defaults(LR));
  if (!adam) {
    fail("ts_optim_adam");
    goto out;
  }
  size_t np = ts_store_param_count(m.store);
  ts_tensor *params[16];
  for (size_t i = 0; i < np && i < 16; i++)
    params[i] = ts_store_param_at(m.store, i);
  if (dist) {
    if (ts_dist_broadcast_params(params, (int)np, 0) != TS_OK) {
      fail("ts_dist_broadcast_params");
      goto out;
    }
    indices = malloc((size_t)ts_dist_sampler_len(train_len, world, false) *
                     sizeof *indices);
  }
  if (rank == 0)
    printf("fashion_mnist: %lld training images, %lld test images, %d "
           "rank%s, %d thread%s, %lld parameters\n",
           (long long)train_len, (long long)ts_dataset_len(test), world,
           world > 1 ? "s" : "", opt.threads, opt.threads > 1 ? "s" : "",
           (long long)ts_store_param_numel(m.store));

  double acc = 0;
  for (int epoch = 0; epoch < opt.epochs; epoch++) {
    if (dist) {
      /* This rank's share, as DistributedSampler.set_epoch(epoch) gives it. */
      TS_SCOPE {
        ts_tensor *idx = ts_dist_sampler(train_len, -1, -1, true, opt.seed,
                                         (uint64_t)epoch, false);
        if (!idx || ts_copy_to_buffer(idx, indices, ts_nbytes(idx)) != TS_OK ||
            ts_loader_set_indices(tl, indices, ts_numel(idx)) != TS_OK) {
          fail("ts_dist_sampler");
          goto out;
        }
      }
    } else {
      ts_loader_set_epoch(tl, (uint64_t)epoch);
    }
    int64_t batches = ts_loader_num_batches(tl);
    if (opt.batch_limit > 0 && opt.batch_limit < batches)
      batches = opt.batch_limit;
    double total = 0, t0 = clock_s(CLOCK_MONOTONIC);
    double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    bool ok = true;
    TS_SCOPE for (int64_t b = 0; b < batches; b++) { /* one scope per step */
      ts_tensor *x, *y;
      if (!ts_loader_next(tl, &x, &y)) {
        ok = !fail("ts_loader_next");
        break;
      }
      ts_tensor *loss = ts_cross_entropy_loss(forward(&m, x), y, NULL,
                                              1 /* mean */, -100, 0.0);
      if (!loss || ts_optim_zero_grad(adam) != TS_OK ||
          ts_backward(loss) != TS_OK ||
          (dist && ts_dist_average_gradients(params, (int)np, 0) != TS_OK) ||
          ts_optim_step(adam) != TS_OK) {
        ok = !fail("training step");
        break;
      }
      total += ts_item(loss);
    }
    if (!ok)
      goto out;
    double secs = clock_s(CLOCK_MONOTONIC) - t0;
    double cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    double mean_loss = total / (double)batches;
    if (dist) {
      TS_SCOPE { /* the mean of the ranks' mean losses */
        ts_tensor *l = ts_full(TS_SHAPE(1), TS_FLOAT64, mean_loss);
        if (ts_dist_all_reduce(l, TS_DIST_MEAN) == TS_OK)
          mean_loss = ts_item(l);
      }
    }
    acc = evaluate(&m, el, ts_dataset_len(test), dist, rank, world);
    if (acc < 0) {
      fail("evaluating");
      goto out;
    }
    if (rank == 0) {
      ts_memory_stats ms = ts_memory();
      printf("epoch %d: loss %.4f test accuracy %.4f time %.2f s cpu %.2f s "
             "live tensors %zu (%.2f MB) peak %.2f MB\n",
             epoch + 1, mean_loss, acc, secs, cpu, ms.live_tensors,
             (double)ms.live_bytes / 1e6, (double)ms.peak_bytes / 1e6);
      fflush(stdout);
    }
  }
  if (rank == 0) {
    printf("final test accuracy %.4f\n", acc);
    if (opt.checkpoint) {
      if (ts_store_save(m.store, opt.checkpoint, TS_CHECKPOINT_TORCH) !=
          TS_OK) {
        fail("ts_store_save");
        goto out;
      }
      printf(
          "checkpoint: %s (torch.load reads it; examples/fashion_mnist_eval.py "
          "evaluates it)\n",
          opt.checkpoint);
    }
  }
  if (opt.rank_checkpoints) {
    /* Every rank's parameters, to check that the ranks agree
     * (tests/dist/fashion_mnist_ranks.py). */
    char path[4096];
    snprintf(path, sizeof path, "%s%d.pt", opt.rank_checkpoints, rank);
    if (ts_store_save(m.store, path, TS_CHECKPOINT_TORCH) != TS_OK) {
      fail("ts_store_save");
      goto out;
    }
  }
  rc = 0;
out:
  if (dist && ts_dist_is_initialized()) {
    if (rc == 0)
      ts_dist_barrier(); /* nobody leaves while rank 0 still saves */
    ts_dist_destroy();
  }
  free(indices);
  ts_store_free(m.store); /* the parameters and Adam's state */
  ts_loader_free(tl);
  ts_loader_free(el);
  ts_dataset_free(train);
  ts_dataset_free(test);
  printf("live tensors at exit: %zu\n", ts_memory().live_tensors);
  return rc;
}
