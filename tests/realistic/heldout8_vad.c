/* heldout8_vad.c - a voice activity detector behind a jitter buffer:
 * packets arrive out of order into a small reorder buffer of frame tensors,
 * the detector computes frame energy against an adaptive noise floor and
 * hangover logic turns frame decisions into speech segments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>

#define VAD_FRAME 160
#define JB_SLOTS 8

typedef struct {
  int seq;
  ts_tensor *pcm; /* [VAD_FRAME] float32 */
} jb_slot;

typedef struct {
  jb_slot slot[JB_SLOTS];
  int next_seq;
  int count;
} jitter_buf;

typedef struct {
  ts_tensor *noise;  /* 0-d running noise energy */
  ts_tensor *window; /* [VAD_FRAME] analysis window */
  double threshold;
  int hang, hangover;
} vad_state;

typedef struct seg {
  int start, end;
  ts_tensor *energy; /* [n] energies of the segment's frames */
  struct seg *next;
} vad_segment;

// OK: a synthetic frame, caller owns it
static ts_tensor *make_frame(int seq, double amp) {
  float buf[VAD_FRAME];
  for (int i = 0; i < VAD_FRAME; i++)
    buf[i] = (float)(amp * ((i * 7 + seq * 13) % 17 - 8) / 8.0);
  return ts_from_buffer(buf, TS_SHAPE(VAD_FRAME), TS_FLOAT32);
}

// OK: empty buffer, nothing owned yet
static void jb_init(jitter_buf *jb) {
  memset(jb, 0, sizeof *jb);
  for (int i = 0; i < JB_SLOTS; i++)
    jb->slot[i].seq = -1;
}

// OK: frees whatever is still buffered and clears the slots
static void jb_clear(jitter_buf *jb) {
  for (int i = 0; i < JB_SLOTS; i++) {
    if (jb->slot[i].pcm) {
      ts_free(jb->slot[i].pcm);
      jb->slot[i].pcm = NULL;
    }
    jb->slot[i].seq = -1;
  }
  jb->count = 0;
}

// OK: takes the packet; a late or duplicate packet is dropped and freed
static int jb_push(jitter_buf *jb, int seq, ts_tensor *pcm) {
  if (seq < jb->next_seq) {
    ts_free(pcm);
    return -1;
  }
  jb_slot *s = &jb->slot[seq % JB_SLOTS];
  if (s->pcm) {
    ts_free(pcm);
    return -1;
  }
  s->seq = seq;
  s->pcm = pcm;
  jb->count++;
  return 0;
}

// OK: hands the next in-order frame to the caller, who frees it
static ts_tensor *jb_pop(jitter_buf *jb) {
  jb_slot *s = &jb->slot[jb->next_seq % JB_SLOTS];
  if (!s->pcm || s->seq != jb->next_seq)
    return NULL;
  ts_tensor *t = s->pcm;
  s->pcm = NULL;
  s->seq = -1;
  jb->next_seq++;
  jb->count--;
  return t;
}

// BUG: leak: an overwritten slot's old frame is dropped without a free
static int jb_push_overwrite(jitter_buf *jb, int seq, ts_tensor *pcm) {
  jb_slot *s = &jb->slot[seq % JB_SLOTS];
  if (s->pcm && s->seq >= seq) {
    ts_free(pcm);
    return -1;
  }
  s->pcm = pcm; // <- BUG
  s->seq = seq;
  jb->count++;
  return 0;
}

// OK: skips a lost packet: frees the stale frame sitting in that slot
static void jb_skip(jitter_buf *jb) {
  jb_slot *s = &jb->slot[jb->next_seq % JB_SLOTS];
  if (s->pcm) {
    ts_free(s->pcm);
    s->pcm = NULL;
    jb->count--;
  }
  jb->next_seq++;
}

// OK: goto-cleanup init of the detector state
static int vad_init(vad_state *v, double threshold) {
  memset(v, 0, sizeof *v);
  v->noise = ts_full(TS_SHAPE(1), TS_FLOAT32, 1e-3);
  if (!v->noise)
    goto fail;
  v->window = ts_ones(TS_SHAPE(VAD_FRAME), TS_FLOAT32);
  if (!v->window)
    goto fail_noise;
  v->threshold = threshold;
  v->hangover = 3;
  return 0;
fail_noise:
  ts_free(v->noise);
  v->noise = NULL;
fail:
  return -1;
}

// OK: frees both fields once
static void vad_teardown(vad_state *v) {
  if (v->window)
    ts_free(v->window);
  if (v->noise)
    ts_free(v->noise);
  v->window = v->noise = NULL;
}

// BUG: double-free: teardown frees the window twice (copy-paste of the noise line)
static void vad_teardown_twice(vad_state *v) {
  ts_free(v->window);
  ts_free(v->noise);
  ts_free(v->window); // <- BUG
}

// OK: frame energy in the caller's scope
TS_CALLER_SCOPE static ts_tensor *frame_energy(const vad_state *v,
                                               const ts_tensor *pcm) {
  ts_tensor *w = ts_mul(pcm, v->window);
  ts_tensor *sq = ts_mul(w, w);
  return ts_mean(sq);
}

// OK: scoped decision; the noise floor update replaces the field, old freed
static int vad_decide(vad_state *v, const ts_tensor *pcm) {
  int speech;
  TS_SCOPE {
    ts_tensor *e = frame_energy(v, pcm);
    double en = ts_item(e);
    double nf = ts_item(v->noise);
    speech = en > v->threshold * nf;
    if (!speech) {
      ts_tensor *upd = ts_add_scalar(ts_mul_scalar(v->noise, 0.95), 0.05 * en);
      ts_tensor *old = v->noise;
      v->noise = ts_keep(upd);
      ts_free(old);
    }
  }
  if (speech)
    v->hang = v->hangover;
  else if (v->hang > 0)
    v->hang--;
  return speech || v->hang > 0;
}

// BUG: use-after-scope: the noise field is set to a tensor the block's scope frees
static int vad_decide_noescape(vad_state *v, const ts_tensor *pcm) {
  int speech;
  TS_SCOPE {
    ts_tensor *e = frame_energy(v, pcm);
    double en = ts_item(e);
    speech = en > v->threshold * ts_item(v->noise);
    if (!speech) {
      ts_free(v->noise);
      v->noise = ts_add_scalar(e, 1e-6);
    }
  }
  return speech + (int)(ts_item(v->noise) > 0.0); // <- BUG
}

// OK: appends a segment; the list takes the energy tensor
static vad_segment *seg_push(vad_segment *head, int start, int end,
                             ts_tensor *energy) {
  vad_segment *s = malloc(sizeof *s);
  if (!s) {
    ts_free(energy);
    return head;
  }
  s->start = start;
  s->end = end;
  s->energy = energy;
  s->next = head;
  return s;
}

// OK: frees every node and its tensor
static void seg_free_all(vad_segment *s) {
  while (s) {
    vad_segment *n = s->next;
    ts_free(s->energy);
    free(s);
    s = n;
  }
}

// BUG: use-after-free: the node's energy is freed, then summed for the total
static double seg_free_total(vad_segment *s) {
  double total = 0.0;
  while (s) {
    vad_segment *n = s->next;
    ts_free(s->energy);
    ts_tensor *sum = ts_sum(s->energy); // <- BUG
    total += ts_item(sum);
    ts_free(sum);
    free(s);
    s = n;
  }
  return total;
}

// OK: energies of frames [a,b) stacked in a manual tensor for the segment
static ts_tensor *segment_energy(const double *en, int a, int b) {
  float buf[64];
  int n = b - a > 64 ? 64 : b - a;
  for (int i = 0; i < n; i++)
    buf[i] = (float)en[a + i];
  return ts_from_buffer(buf, TS_SHAPE(n), TS_FLOAT32);
}

// OK: per-frame loop scope, every temporary freed by its iteration
static int run_detector(vad_state *v, jitter_buf *jb, double *en, int *flags,
                        int max) {
  int n = 0;
  TS_SCOPE while (n < max) {
    ts_tensor *pcm = jb_pop(jb);
    if (!pcm)
      break;
    flags[n] = vad_decide(v, pcm);
    ts_tensor *e = frame_energy(v, pcm);
    en[n] = ts_item(e);
    ts_free(pcm);
    n++;
  }
  return n;
}

// OK: turns flags into segments, each owning its energy tensor
static vad_segment *collect_segments(const int *flags, const double *en,
                                     int n) {
  vad_segment *head = NULL;
  int start = -1;
  for (int i = 0; i <= n; i++) {
    int on = i < n && flags[i];
    if (on && start < 0)
      start = i;
    if (!on && start >= 0) {
      head = seg_push(head, start, i, segment_energy(en, start, i));
      start = -1;
    }
  }
  return head;
}

// BUG: leak: a segment shorter than two frames is skipped but its energy was already made
static vad_segment *collect_long_segments(const int *flags, const double *en,
                                          int n) {
  vad_segment *head = NULL;
  int start = -1;
  for (int i = 0; i <= n; i++) {
    int on = i < n && flags[i];
    if (on && start < 0)
      start = i;
    if (!on && start >= 0) {
      ts_tensor *e = segment_energy(en, start, i); // <- BUG
      if (i - start >= 2)
        head = seg_push(head, start, i, e);
      start = -1;
    }
  }
  return head;
}

// OK: peak energy of a segment, argmax escaped to the caller and freed there
static ts_tensor *seg_peak(const vad_segment *s) {
  ts_tensor *idx;
  TS_SCOPE {
    ts_tensor *a = ts_argmax(s->energy);
    idx = ts_escape(a);
  }
  return idx;
}

// BUG: unescaped-return: the peak index belongs to the function's scope
TS_SCOPED static ts_tensor *seg_peak_scoped(const vad_segment *s) {
  ts_tensor *a = ts_argmax(s->energy);
  return a; // <- BUG
}

// OK: fills the buffer out of order, including a late duplicate
static void feed(jitter_buf *jb, int n) {
  for (int k = 0; k < n; k++) {
    int seq = (k % 2 == 0) ? k + 1 : k - 1;
    double amp = (seq >= 2 && seq < 5) ? 4.0 : 0.01;
    if (seq < n)
      jb_push(jb, seq, make_frame(seq, amp));
  }
  jb_push(jb, 0, make_frame(0, 0.01));
}

// OK: whole pipeline, every owned thing released
void vad_entry_pipeline(void) {
  jitter_buf jb;
  vad_state v;
  double en[8];
  int flags[8];
  jb_init(&jb);
  if (vad_init(&v, 4.0) != 0)
    return;
  feed(&jb, 8);
  int n = run_detector(&v, &jb, en, flags, 8);
  vad_segment *segs = collect_segments(flags, en, n);
  for (vad_segment *s = segs; s; s = s->next) {
    ts_tensor *p = seg_peak(s);
    printf("segment %d-%d peak %g\n", s->start, s->end, ts_item(p));
    ts_free(p);
  }
  seg_free_all(segs);
  jb_clear(&jb);
  vad_teardown(&v);
}

// OK: a lost packet skipped, rest drained
void vad_entry_skip(void) {
  jitter_buf jb;
  jb_init(&jb);
  jb_push(&jb, 1, make_frame(1, 1.0));
  jb_push(&jb, 2, make_frame(2, 1.0));
  ts_tensor *f = jb_pop(&jb);
  if (!f) {
    jb_skip(&jb);
    f = jb_pop(&jb);
  }
  if (f)
    ts_free(f);
  jb_clear(&jb);
}

// OK: drives the overwriting push
void vad_entry_overwrite(void) {
  jitter_buf jb;
  jb_init(&jb);
  jb_push_overwrite(&jb, 1, make_frame(1, 1.0));
  jb_push_overwrite(&jb, 9, make_frame(9, 1.0));
  jb_clear(&jb);
}

// OK: drives the teardown that frees twice
void vad_entry_teardown(void) {
  vad_state v;
  if (vad_init(&v, 2.0) == 0)
    vad_teardown_twice(&v);
}

// OK: drives the decision whose noise update dies with its scope
void vad_entry_noescape(void) {
  vad_state v;
  if (vad_init(&v, 1e9) != 0)
    return;
  ts_tensor *f = make_frame(3, 1.0);
  printf("%d\n", vad_decide_noescape(&v, f));
  ts_free(f);
  vad_teardown(&v);
}

// OK: drives the list free that sums freed energies
void vad_entry_total(void) {
  vad_segment *s = seg_push(NULL, 0, 2, make_frame(0, 1.0));
  printf("%g\n", seg_free_total(s));
}

// OK: long-segment collection over flags with a one-frame blip
void vad_entry_long(void) {
  int flags[6] = {1, 0, 1, 1, 1, 0};
  double en[6] = {1, 0, 2, 3, 4, 0};
  vad_segment *s = collect_long_segments(flags, en, 6);
  seg_free_all(s);
}

// OK: uses the peak returned from a scoped helper
void vad_entry_peak_scoped(void) {
  double en[3] = {1, 5, 2};
  vad_segment *s = seg_push(NULL, 0, 3, segment_energy(en, 0, 3));
  ts_tensor *p = seg_peak_scoped(s);
  printf("%g\n", ts_item(p));
  seg_free_all(s);
}

// BUG: leak: the early return on an empty buffer forgets the first frame popped
void vad_entry_pair(void) {
  jitter_buf jb;
  jb_init(&jb);
  jb_push(&jb, 0, make_frame(0, 1.0));
  ts_tensor *a = jb_pop(&jb); // <- BUG
  ts_tensor *b = jb_pop(&jb);
  if (!a || !b) {
    jb_clear(&jb);
    return;
  }
  ts_tensor *d = ts_sub(a, b);
  ts_tensor *s = ts_sum(d);
  printf("%g\n", ts_item(s));
  ts_free(s);
  ts_free(d);
  ts_free(a);
  ts_free(b);
  jb_clear(&jb);
}

// BUG: use-after-free: a silent frame is freed early, then still run through the detector
void vad_entry_silent_drop(void) {
  jitter_buf jb;
  vad_state v;
  jb_init(&jb);
  if (vad_init(&v, 4.0) != 0)
    return;
  jb_push(&jb, 0, make_frame(0, 0.0));
  ts_tensor *f = jb_pop(&jb);
  if (f) {
    ts_tensor *e = frame_energy(&v, f);
    int silent = ts_item(e) < 1e-9;
    ts_free(e);
    if (silent)
      ts_free(f);
    printf("%d\n", vad_decide(&v, f)); // <- BUG
    if (!silent)
      ts_free(f);
  }
  jb_clear(&jb);
  vad_teardown(&v);
}
