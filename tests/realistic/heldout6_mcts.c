/* heldout6_mcts.c - Monte-Carlo tree search with a policy/value network:
 * a malloc'd tree whose nodes own their prior tensors, recursive teardown,
 * subtree reuse after a move, value backups and batched leaf evaluation. */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { MC_ACT = 3, MC_OBS = 4 };

typedef struct mc_node {
  struct mc_node *child[MC_ACT];
  struct mc_node *parent;
  ts_tensor *prior; /* [1, ACT] softmax, owned by the node */
  ts_tensor *obs;   /* [1, OBS], owned by the node */
  double value;
  int visits;
} mc_node;

typedef struct {
  ts_tensor *wp; /* [OBS, ACT] */
  ts_tensor *wv; /* [OBS, 1] */
} mc_net;

// OK: the network weights
static int mc_net_init(mc_net *n) {
  ts_manual_seed(5);
  n->wp = ts_randn(TS_SHAPE(MC_OBS, MC_ACT), TS_FLOAT32);
  n->wv = n->wp ? ts_randn(TS_SHAPE(MC_OBS, 1), TS_FLOAT32) : NULL;
  if (!n->wv) {
    if (n->wp)
      ts_free(n->wp);
    return -1;
  }
  return 0;
}

// OK: frees the weights
static void mc_net_free(mc_net *n) {
  ts_free(n->wp);
  ts_free(n->wv);
}

// OK: a node owning a copy of its observation and the policy prior
static mc_node *mc_node_new(const mc_net *net, const ts_tensor *obs, mc_node *parent) {
  mc_node *nd = calloc(1, sizeof *nd);
  if (!nd)
    return NULL;
  nd->parent = parent;
  nd->obs = ts_clone(obs);
  TS_SCOPE { nd->prior = ts_escape(ts_softmax(ts_matmul(obs, net->wp), 1)); }
  if (!nd->obs || !nd->prior) {
    if (nd->obs)
      ts_free(nd->obs);
    if (nd->prior)
      ts_free(nd->prior);
    free(nd);
    return NULL;
  }
  return nd;
}

// OK: recursive teardown, children first
static void mc_node_free(mc_node *nd) {
  if (!nd)
    return;
  for (int a = 0; a < MC_ACT; a++)
    mc_node_free(nd->child[a]);
  ts_free(nd->prior);
  ts_free(nd->obs);
  free(nd);
}

// OK: the value estimate of an observation, borrowed inputs only
static double mc_value(const mc_net *net, const ts_tensor *obs) {
  double v = 0;
  TS_SCOPE { v = ts_item(ts_tanh(ts_matmul(obs, net->wv))); }
  return v;
}

// OK: the next observation after an action, a new tensor the caller owns
static ts_tensor *mc_step_obs(const ts_tensor *obs, int a) {
  ts_tensor *r = NULL;
  TS_SCOPE {
    ts_tensor *shift = ts_full(TS_SHAPE(1, MC_OBS), TS_FLOAT32, 0.1 * (a + 1));
    r = ts_escape(ts_tanh(ts_add(obs, shift)));
  }
  return r;
}

// OK: PUCT selection reading the node's prior
static int mc_select(const mc_node *nd) {
  float p[MC_ACT];
  ts_copy_to_buffer(nd->prior, p, sizeof p);
  int best = 0;
  double bs = -1e30;
  for (int a = 0; a < MC_ACT; a++) {
    const mc_node *c = nd->child[a];
    double q = c ? c->value / (c->visits + 1e-9) : 0.0;
    double u = p[a] * (nd->visits + 1) / (1.0 + (c ? c->visits : 0));
    if (q + u > bs) {
      bs = q + u;
      best = a;
    }
  }
  return best;
}

// OK: one simulation: descend, expand one child, back the value up
static void mc_simulate(const mc_net *net, mc_node *root) {
  mc_node *nd = root;
  for (;;) {
    int a = mc_select(nd);
    if (!nd->child[a]) {
      ts_tensor *o = mc_step_obs(nd->obs, a);
      nd->child[a] = mc_node_new(net, o, nd);
      ts_free(o);
      if (nd->child[a])
        nd = nd->child[a];
      break;
    }
    nd = nd->child[a];
  }
  double v = mc_value(net, nd->obs);
  for (; nd; nd = nd->parent) {
    nd->value += v;
    nd->visits++;
  }
}

// OK: a search from a fresh root, the tree freed
void mc_search(void) {
  mc_net net;
  if (mc_net_init(&net) != 0)
    return;
  ts_tensor *obs = ts_zeros(TS_SHAPE(1, MC_OBS), TS_FLOAT32);
  mc_node *root = mc_node_new(&net, obs, NULL);
  ts_free(obs);
  if (root) {
    for (int i = 0; i < 8; i++)
      mc_simulate(&net, root);
    printf("mcts: root visits %d\n", root->visits);
    mc_node_free(root);
  }
  mc_net_free(&net);
}

// BUG: leak: the stepped observation is not freed after the child copies it
static void mc_simulate_leaky(const mc_net *net, mc_node *root) {
  int a = mc_select(root);
  if (root->child[a])
    return;
  ts_tensor *o = mc_step_obs(root->obs, a); // <- BUG
  root->child[a] = mc_node_new(net, o, root);
  root->visits++;
}

// OK: drives the leaky simulation once
void mc_search_leaky(void) {
  mc_net net;
  if (mc_net_init(&net) != 0)
    return;
  ts_tensor *obs = ts_zeros(TS_SHAPE(1, MC_OBS), TS_FLOAT32);
  mc_node *root = mc_node_new(&net, obs, NULL);
  ts_free(obs);
  mc_simulate_leaky(&net, root);
  mc_node_free(root);
  mc_net_free(&net);
}

// OK: subtree reuse: the chosen child is detached before the old root is freed
static mc_node *mc_advance(mc_node *root, int a) {
  mc_node *keep = root->child[a];
  root->child[a] = NULL;
  mc_node_free(root);
  if (keep)
    keep->parent = NULL;
  return keep;
}

// OK: play a few moves reusing subtrees
void mc_play(void) {
  mc_net net;
  if (mc_net_init(&net) != 0)
    return;
  ts_tensor *obs = ts_zeros(TS_SHAPE(1, MC_OBS), TS_FLOAT32);
  mc_node *root = mc_node_new(&net, obs, NULL);
  ts_free(obs);
  for (int move = 0; move < 3 && root; move++) {
    for (int i = 0; i < 6; i++)
      mc_simulate(&net, root);
    int a = mc_select(root);
    if (!root->child[a])
      mc_simulate(&net, root);
    mc_node *next = mc_advance(root, a);
    root = next;
  }
  mc_node_free(root);
  mc_net_free(&net);
}

// BUG: double-free: the chosen child is copied shallowly, then freeing the old root frees the tensors the copy holds
static mc_node *mc_advance_nodetach(mc_node *root, int a) {
  mc_node *keep = malloc(sizeof *keep);
  if (!keep)
    return NULL;
  *keep = *root->child[a];
  for (int b = 0; b < MC_ACT; b++)
    keep->child[b] = NULL;
  keep->parent = NULL;
  mc_node_free(root); // <- BUG
  return keep;
}

// OK: drives the non-detaching advance, then frees the new root
void mc_play_nodetach(void) {
  mc_net net;
  if (mc_net_init(&net) != 0)
    return;
  ts_tensor *obs = ts_zeros(TS_SHAPE(1, MC_OBS), TS_FLOAT32);
  mc_node *root = mc_node_new(&net, obs, NULL);
  ts_free(obs);
  mc_simulate(&net, root);
  int a = 0;
  while (a < MC_ACT && !root->child[a])
    a++;
  mc_node *next = mc_advance_nodetach(root, a);
  mc_node_free(next);
  mc_net_free(&net);
}

// BUG: use-after-free: the old root's prior is read for logging after the advance freed it
void mc_log_after_advance(void) {
  mc_net net;
  if (mc_net_init(&net) != 0)
    return;
  ts_tensor *obs = ts_zeros(TS_SHAPE(1, MC_OBS), TS_FLOAT32);
  mc_node *root = mc_node_new(&net, obs, NULL);
  ts_free(obs);
  mc_simulate(&net, root);
  const ts_tensor *old_prior = root->prior;
  root = mc_advance(root, mc_select(root));
  TS_SCOPE { printf("mcts: old max %.3f\n", ts_item(ts_argmax(old_prior))); } // <- BUG
  mc_node_free(root);
  mc_net_free(&net);
}

// OK: the old root's prior is cloned before the advance
void mc_log_before_advance(void) {
  mc_net net;
  if (mc_net_init(&net) != 0)
    return;
  ts_tensor *obs = ts_zeros(TS_SHAPE(1, MC_OBS), TS_FLOAT32);
  mc_node *root = mc_node_new(&net, obs, NULL);
  ts_free(obs);
  mc_simulate(&net, root);
  ts_tensor *old_prior = ts_clone(root->prior);
  root = mc_advance(root, mc_select(root));
  TS_SCOPE { printf("mcts: old max %.3f\n", ts_item(ts_argmax(old_prior))); }
  ts_free(old_prior);
  mc_node_free(root);
  mc_net_free(&net);
}

// BUG: use-after-free: the observation is freed right after the node is made, then reused
void mc_obs_reuse(void) {
  mc_net net;
  if (mc_net_init(&net) != 0)
    return;
  ts_tensor *obs = ts_zeros(TS_SHAPE(1, MC_OBS), TS_FLOAT32);
  mc_node *root = mc_node_new(&net, obs, NULL);
  ts_free(obs);
  double v = mc_value(&net, obs); // <- BUG
  printf("mcts: v %.3f\n", v);
  mc_node_free(root);
  mc_net_free(&net);
}

// OK: a leaf batch stacked from borrowed observations
static double mc_batch_value(const mc_net *net, mc_node **leaves, int n) {
  double s = 0;
  TS_SCOPE {
    const ts_tensor *rows[MC_ACT];
    for (int i = 0; i < n; i++)
      rows[i] = leaves[i]->obs;
    ts_tensor *b = ts_cat(rows, n, 0);
    s = ts_item(ts_sum(ts_tanh(ts_matmul(b, net->wv))));
  }
  return s;
}

// OK: expands all children, values them in one batch
void mc_expand_all(void) {
  mc_net net;
  if (mc_net_init(&net) != 0)
    return;
  ts_tensor *obs = ts_ones(TS_SHAPE(1, MC_OBS), TS_FLOAT32);
  mc_node *root = mc_node_new(&net, obs, NULL);
  for (int a = 0; a < MC_ACT; a++) {
    ts_tensor *o = mc_step_obs(obs, a);
    root->child[a] = mc_node_new(&net, o, root);
    ts_free(o);
  }
  printf("mcts: batch %.3f\n", mc_batch_value(&net, root->child, MC_ACT));
  ts_free(obs);
  mc_node_free(root);
  mc_net_free(&net);
}

// BUG: leak: when a child fails to be made, the ones made so far are lost with the early return
static mc_node *mc_make_root_full(const mc_net *net, const ts_tensor *obs, int fail_at) {
  mc_node *root = mc_node_new(net, obs, NULL);
  if (!root)
    return NULL;
  for (int a = 0; a < MC_ACT; a++) {
    ts_tensor *o = mc_step_obs(obs, a);
    root->child[a] = a == fail_at ? NULL : mc_node_new(net, o, root);
    ts_free(o);
    if (!root->child[a]) {
      ts_free(root->prior);
      ts_free(root->obs);
      free(root); // <- BUG
      return NULL;
    }
  }
  return root;
}

// OK: drives the failing full expansion
void mc_root_full_fail(void) {
  mc_net net;
  if (mc_net_init(&net) != 0)
    return;
  ts_tensor *obs = ts_ones(TS_SHAPE(1, MC_OBS), TS_FLOAT32);
  mc_node *root = mc_make_root_full(&net, obs, 2);
  if (!root)
    printf("mcts: expansion failed\n");
  mc_node_free(root);
  ts_free(obs);
  mc_net_free(&net);
}

// BUG: unescaped-return: the visit-count policy is built in a scope and returned from it
static ts_tensor *mc_visit_policy(const mc_node *root) {
  float counts[MC_ACT];
  for (int a = 0; a < MC_ACT; a++)
    counts[a] = root->child[a] ? (float)root->child[a]->visits : 0.0f;
  TS_SCOPE {
    ts_tensor *c = ts_from_buffer(counts, TS_SHAPE(1, MC_ACT), TS_FLOAT32);
    ts_tensor *pol = ts_div(c, ts_add_scalar(ts_sum(c), 1e-6));
    return pol; // <- BUG
  }
  return NULL;
}

// OK: the search target read from the visit policy (the helper's bug)
void mc_training_target(void) {
  mc_net net;
  if (mc_net_init(&net) != 0)
    return;
  ts_tensor *obs = ts_zeros(TS_SHAPE(1, MC_OBS), TS_FLOAT32);
  mc_node *root = mc_node_new(&net, obs, NULL);
  ts_free(obs);
  for (int i = 0; i < 5; i++)
    mc_simulate(&net, root);
  ts_tensor *pol = mc_visit_policy(root);
  TS_SCOPE { printf("mcts: target loss %.3f\n", ts_item(ts_mse_loss(pol, root->prior))); }
  ts_free(pol);
  mc_node_free(root);
  mc_net_free(&net);
}

// OK: the visit policy escaped from its scope
static ts_tensor *mc_visit_policy_ok(const mc_node *root) {
  float counts[MC_ACT];
  for (int a = 0; a < MC_ACT; a++)
    counts[a] = root->child[a] ? (float)root->child[a]->visits : 0.0f;
  TS_SCOPE {
    ts_tensor *c = ts_from_buffer(counts, TS_SHAPE(1, MC_ACT), TS_FLOAT32);
    return ts_escape(ts_div(c, ts_add_scalar(ts_sum(c), 1e-6)));
  }
  return NULL;
}

// OK: caller of the escaping visit policy
void mc_training_target_ok(void) {
  mc_net net;
  if (mc_net_init(&net) != 0)
    return;
  ts_tensor *obs = ts_zeros(TS_SHAPE(1, MC_OBS), TS_FLOAT32);
  mc_node *root = mc_node_new(&net, obs, NULL);
  ts_free(obs);
  for (int i = 0; i < 5; i++)
    mc_simulate(&net, root);
  ts_tensor *pol = mc_visit_policy_ok(root);
  TS_SCOPE { printf("mcts: target loss %.3f\n", ts_item(ts_mse_loss(pol, root->prior))); }
  ts_free(pol);
  mc_node_free(root);
  mc_net_free(&net);
}

// BUG: use-after-scope: a Dirichlet-like noise prior replaces the root prior from inside a scope
void mc_root_noise(void) {
  mc_net net;
  if (mc_net_init(&net) != 0)
    return;
  ts_tensor *obs = ts_zeros(TS_SHAPE(1, MC_OBS), TS_FLOAT32);
  mc_node *root = mc_node_new(&net, obs, NULL);
  ts_free(obs);
  TS_SCOPE {
    ts_tensor *noise = ts_softmax(ts_rand(TS_SHAPE(1, MC_ACT), TS_FLOAT32), 1);
    ts_tensor *mixed = ts_add(ts_mul_scalar(root->prior, 0.75), ts_mul_scalar(noise, 0.25));
    ts_free(root->prior);
    root->prior = mixed;
  }
  mc_simulate(&net, root); // <- BUG
  mc_node_free(root);
  mc_net_free(&net);
}

// OK: the mixed prior kept out of the scope
void mc_root_noise_ok(void) {
  mc_net net;
  if (mc_net_init(&net) != 0)
    return;
  ts_tensor *obs = ts_zeros(TS_SHAPE(1, MC_OBS), TS_FLOAT32);
  mc_node *root = mc_node_new(&net, obs, NULL);
  ts_free(obs);
  TS_SCOPE {
    ts_tensor *noise = ts_softmax(ts_rand(TS_SHAPE(1, MC_ACT), TS_FLOAT32), 1);
    ts_tensor *mixed = ts_add(ts_mul_scalar(root->prior, 0.75), ts_mul_scalar(noise, 0.25));
    ts_free(root->prior);
    root->prior = ts_keep(mixed);
  }
  mc_simulate(&net, root);
  mc_node_free(root);
  mc_net_free(&net);
}

// BUG: double-free: the network weights are freed by a failed init path and then by the caller
static int mc_net_init_checked(mc_net *n, int want_obs) {
  if (mc_net_init(n) != 0)
    return -1;
  if (ts_size(n->wp, 0) != want_obs) {
    mc_net_free(n); // <- BUG
    return -1;
  }
  return 0;
}

// OK: the caller frees the net whatever the init said
void mc_net_checked(void) {
  mc_net net;
  int rc = mc_net_init_checked(&net, MC_OBS + 1);
  printf("mcts: init %d\n", rc);
  mc_net_free(&net);
}
