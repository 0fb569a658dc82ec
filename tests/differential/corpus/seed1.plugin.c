/* gen.py 1 40: the plugin's side */
#include <stdio.h>
#include <tsmem.h>

static const ts_tensor *Kept;
static int Obs;
static ts_scope_id Saved[4];
typedef struct { int n; ts_scope_id step; } trainer;

/* The last status first: the other queries clear it. */
static void obs(int where) {
  ts_status s = ts_last_status();
  int d = ts_scope_depth();
  size_t c = ts_scope_tensor_count();
  size_t l = ts_memory().live_tensors;
  printf("%d:%d s=%d d=%d c=%zu l=%zu\n", Obs, where, (int)s, d, c, l);
}
static void rec(int where, ts_status st) {
  printf("%d:%d end=%d\n", Obs, where, (int)st);
}
__attribute__((noinline)) static void beginStep(trainer *t) {
  t->step = ts_scope_begin();
}
__attribute__((noinline)) static ts_status endStep(trainer *t) {
  return ts_scope_end(t->step);
}
__attribute__((noinline)) static ts_scope_id beginHelper(void) {
  return ts_scope_begin();
}
__attribute__((noinline)) static ts_status endHelper(ts_scope_id id) {
  return ts_scope_end(id);
}
__attribute__((noinline)) static void beginSaved(int k) {
  Saved[k] = ts_scope_begin();
}
__attribute__((noinline)) static ts_status endSaved(int k) {
  return ts_scope_end(Saved[k]);
}
/* Makes a tensor in the caller's scope. */
__attribute__((noinline)) static void makeInCaller(void) {
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
}

static void test_0(void) {
  int x = 1;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  ts_scope_id m1 = 0;
  (void)m0;
  (void)m1;
  x += 8;
  m1 = ts_scope_begin();
  x += 1;
  rec(2, ts_scope_end(m1));
  obs(4);
  if (x % 2) {
    int i5 = 0;
    TS_SCOPE do {
      obs(6);
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      rec(8, endStep(&tr));
    } while (i5++ < 1);
    m0 = beginHelper();
    TS_SCOPE {
      if (x > 33) { obs(10); return; }
      switch (x % 2) {
      case 1:
        {
          if (x > 34) { obs(11); return; }
        }
        break;
      case 2:
        {
          obs(12);
        }
      default:;
      }
      rec(13, endSaved(2));
    }
  } else {
    if (x % 3 == 2) goto L0_14;
    int i15 = 0;
    TS_SCOPE do {
      rec(16, ts_scope_end(m1));
      rec(17, ts_scope_end(m0));
    } while (i15++ < 1);
    if (x % 3 == 1) goto L0_18;
  }
L0_14: obs(19);
L0_18: obs(20);
  obs(21);
}

TS_SCOPED static int scoped_1_0(int x) {
  obs(1);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
TS_SCOPED static int scoped_1_1(int x) {
  if (x > 28) { obs(2); return x; }
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  obs(4);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
static void test_1(void) {
  int x = 1;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  ts_scope_id m1 = 0;
  (void)m0;
  (void)m1;
  int i5 = 0;
  TS_SCOPE while (i5++ < 3) {
    x += 1;
    x += scoped_1_1(x);
    TS_SCOPE {
      TS_SCOPE for (int i8 = 0; i8 < 1; i8++) {
        rec(9, ts_scope_end(m0));
        m1 = ts_scope_begin();
        rec(11, ts_scope_end(m1));
      }
    }
  }
  rec(12, endStep(&tr));
  if (x % 3 == 2) goto L1_13;
L1_13:;
  obs(14);
}

TS_SCOPED static int scoped_2_0(int x) {
  (void)ts_numel(Kept);
  obs(2);
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
TS_SCOPED static int scoped_2_1(int x) {
  rec(4, ts_scope_end(987654321));
  (void)ts_numel(Kept);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
static void test_2(void) {
  int x = 7;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  (void)m0;
  obs(6);
  m0 = ts_scope_begin();
  for (int i8 = 0; i8 < 1; i8++) {
    ts_scope_end(m0);
    TS_SCOPE for (int i10 = 0; i10 < 0; i10++) {
      obs(11);
    }
    if (x % 3 == 1) goto L2_12;
  }
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
L2_12:;
  obs(14);
}

TS_SCOPED static int scoped_3_0(int x) {
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static void test_3(void) {
  int x = 8;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  (void)m0;
  int i3 = 0;
  TS_SCOPE do {
    int i4 = 0;
    TS_SCOPE while (i4++ < 3) {
      makeInCaller();
    }
    obs(6);
  } while (i3++ < 2);
  (void)ts_numel(Kept);
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  obs(9);
}

TS_SCOPED static int scoped_4_0(int x) {
  rec(1, ts_scope_end(0));
  rec(2, ts_scope_end(1));
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static void test_4(void) {
  int x = 6;
  trainer tr = {0, 0};
  (void)tr;
  if (x % 3 == 0) goto L4_4;
L4_4: obs(5);
  switch (x % 4) {
  case 1:
    {
      TS_SCOPE for (int i6 = 0; i6 < 0; i6++) {
        {
          rec(7, endSaved(3));
          if (x % 3 == 0) break;
          ts_ones(TS_SHAPE(2), TS_FLOAT32);
        }
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      }
      makeInCaller();
      if (x % 3 == 0) goto L4_12;
    }
    break;
  case 2:
    {
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      rec(14, ts_scope_end(0));
      int i15 = 0;
      TS_SCOPE do {
        if (x % 2) {
          (void)ts_numel(Kept);
          obs(17);
        } else {
          (void)ts_numel(Kept);
        }
      } while (i15++ < 3);
    }
    break;
  default:;
  }
  TS_SCOPE {
    makeInCaller();
    switch (x % 2) {
    case 1:
      {
        (void)ts_numel(Kept);
      }
      break;
    case 3:
      {
        obs(21);
        (void)ts_numel(Kept);
        x += scoped_4_0(x);
      }
      break;
    default:;
    }
    int i24 = 0;
    TS_SCOPE do {
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      TS_SCOPE {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      }
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
    } while (i24++ < 3);
  }
L4_12:;
  obs(28);
}

TS_SCOPED static int scoped_5_0(int x) {
  rec(1, ts_scope_end(987654321));
  (void)ts_item(Kept);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
static void test_5(void) {
  int x = 5;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  (void)m0;
  (void)ts_item(Kept);
  if (x % 3) {
    switch (x % 2) {
    case 0:
      {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      }
    case 1:
      {
        rec(5, ts_scope_end(987654321));
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      }
    default:;
    }
  } else {
    (void)ts_item(Kept);
    makeInCaller();
    switch (x % 2) {
    case 0:
      {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      }
    case 2:
      {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      }
    default:;
    }
  }
  obs(11);
}

static void test_6(void) {
  int x = 9;
  trainer tr = {0, 0};
  (void)tr;
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  TS_SCOPE {
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    TS_SCOPE {
      rec(3, ts_scope_end(1));
      int i4 = 0;
      TS_SCOPE do {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        (void)ts_numel(Kept);
      } while (i4++ < 3);
    }
    TS_SCOPE for (int i7 = 0; i7 < 0; i7++) {
      if (x % 3 == 1) continue;
    }
  }
  obs(9);
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  obs(11);
  obs(12);
}

TS_SCOPED static int scoped_7_0(int x) {
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  (void)ts_item(Kept);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
TS_SCOPED static int scoped_7_1(int x) {
  if (x > 39) { obs(3); return x; }
  if (x % 3 == 1) goto L7_4;
  if (x % 3 == 1) goto L7_5;
L7_4:;
L7_5:;
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
static void test_7(void) {
  int x = 8;
  trainer tr = {0, 0};
  (void)tr;
  (void)ts_numel(Kept);
  obs(7);
  (void)ts_item(Kept);
  obs(9);
}

static void test_8(void) {
  int x = 1;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  (void)m0;
  obs(1);
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  (void)ts_numel(Kept);
  ts_scope_end(m0);
  obs(5);
}

TS_SCOPED static int scoped_9_0(int x) {
  rec(1, ts_scope_end(987654321));
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
static void test_9(void) {
  int x = 1;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  ts_scope_id m1 = 0;
  (void)m0;
  (void)m1;
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  obs(3);
  (void)ts_item(Kept);
  obs(5);
}

TS_SCOPED static int scoped_10_0(int x) {
  if (x % 3 == 0) goto L10_1;
L10_1:;
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
TS_SCOPED static int scoped_10_1(int x) {
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  makeInCaller();
  if (x % 3 == 1) goto L10_4;
L10_4:;
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
static void test_10(void) {
  int x = 2;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  (void)m0;
  if (x % 3) {
    m0 = ts_scope_begin();
    TS_SCOPE {
      obs(6);
    }
    rec(5, ts_scope_end(m0));
  } else {
    x += scoped_10_1(x);
    (void)ts_numel(Kept);
  }
  m0 = ts_scope_begin();
  obs(10);
}

TS_SCOPED static int scoped_11_0(int x) {
  if (x % 3 == 2) goto L11_1;
  if (x % 3 == 2) goto L11_2;
  (void)ts_numel(Kept);
L11_1:;
L11_2:;
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static void test_11(void) {
  int x = 6;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  (void)m0;
  x += scoped_11_0(x);
  if (x > 9) { obs(5); return; }
  int i6 = 0;
  TS_SCOPE while (i6++ < 2) {
    switch (x % 3) {
    case 3:
      {
        (void)ts_item(Kept);
        TS_SCOPE {
          obs(8);
          ts_scope_end(m0);
          rec(10, endHelper(m0));
        }
      }
    default:;
    }
    (void)ts_item(Kept);
    obs(12);
  }
  obs(13);
}

TS_SCOPED static int scoped_12_0(int x) {
  (void)ts_numel(Kept);
  rec(2, ts_scope_end(0));
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
TS_SCOPED static int scoped_12_1(int x) {
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  (void)ts_numel(Kept);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
static void test_12(void) {
  int x = 8;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  (void)m0;
  for (int i5 = 0; i5 < 1; i5++) {
    m0 = ts_scope_begin();
    int i7 = 0;
    TS_SCOPE while (i7++ < 2) {
      (void)ts_numel(Kept);
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
    }
    rec(6, ts_scope_end(m0));
    switch (x % 4) {
    case 1:
      {
        makeInCaller();
      }
      break;
    case 2:
      {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        m0 = ts_scope_begin();
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        ts_scope_end(m0);
        rec(13, ts_scope_end(m0));
        (void)ts_item(Kept);
      }
      break;
    default:;
    }
  }
  rec(18, ts_scope_end(m0));
  int i19 = 0;
  TS_SCOPE do {
    TS_SCOPE {
      TS_SCOPE {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        (void)ts_item(Kept);
        beginSaved(0);
      }
      TS_SCOPE {
        if (x > 10) { obs(23); return; }
      }
      int i24 = 0;
      TS_SCOPE while (i24++ < 3) {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        obs(26);
      }
    }
    TS_SCOPE {
      TS_SCOPE for (int i27 = 0; i27 < 3; i27++) {
        m0 = ts_scope_begin();
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        beginStep(&tr);
      }
      (void)ts_item(Kept);
      if (x % 3 == 2) goto L12_32;
    }
  } while (i19++ < 2);
  m0 = ts_scope_begin();
  beginSaved(1);
L12_32:;
  obs(35);
}

static void test_13(void) {
  int x = 2;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  (void)m0;
  makeInCaller();
  if (x % 3) {
    TS_SCOPE {
      x += 7;
      if (x > 18) { obs(3); return; }
      TS_SCOPE for (int i4 = 0; i4 < 2; i4++) {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      }
    }
    rec(6, ts_scope_end(m0));
    rec(7, endHelper(m0));
  } else {
    rec(8, ts_scope_end(m0));
    m0 = ts_scope_begin();
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    obs(11);
    int i12 = 0;
    TS_SCOPE while (i12++ < 2) {
      obs(13);
      obs(14);
      if (x % 4 == 1) continue;
    }
    rec(9, ts_scope_end(m0));
    beginSaved(3);
  }
  rec(17, ts_scope_end(m0));
  obs(18);
}

TS_SCOPED static int scoped_14_0(int x) {
  if (x % 3 == 2) goto L14_1;
  if (x % 3 == 2) goto L14_2;
  (void)ts_numel(Kept);
L14_1:;
L14_2:;
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
TS_SCOPED static int scoped_14_1(int x) {
  rec(4, ts_scope_end(1));
  if (x % 3 == 2) goto L14_5;
  makeInCaller();
L14_5:;
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
static void test_14(void) {
  int x = 7;
  trainer tr = {0, 0};
  (void)tr;
  rec(7, ts_scope_end(0));
  int i8 = 0;
  TS_SCOPE do {
    rec(9, ts_scope_end(987654321));
    if (x % 2) {
      int i10 = 0;
      TS_SCOPE do {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        obs(12);
        if (x % 2 == 1) continue;
      } while (i10++ < 2);
      (void)ts_numel(Kept);
    } else {
      for (int i15 = 0; i15 < 2; i15++) {
        x += scoped_14_1(x);
        x += scoped_14_1(x);
      }
    }
  } while (i8++ < 3);
  x += 5;
  obs(19);
}

TS_SCOPED static int scoped_15_0(int x) {
  x += 1;
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
static void test_15(void) {
  int x = 1;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  ts_scope_id m1 = 0;
  (void)m0;
  (void)m1;
  obs(2);
  beginStep(&tr);
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  if (x % 2) {
    obs(5);
    m1 = ts_scope_begin();
    (void)ts_numel(Kept);
    TS_SCOPE for (int i8 = 0; i8 < 2; i8++) {
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
    }
    switch (x % 4) {
    case 2:
      {
        if (x % 3 == 0) goto L15_11;
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        makeInCaller();
      }
      break;
    case 3:
      {
        rec(14, ts_scope_end(987654321));
        (void)ts_numel(Kept);
      }
      break;
    default:;
    }
    rec(6, ts_scope_end(m1));
    TS_SCOPE for (int i16 = 0; i16 < 3; i16++) {
      int i17 = 0;
      TS_SCOPE do {
        rec(18, ts_scope_end(987654321));
        (void)ts_item(Kept);
      } while (i17++ < 1);
      TS_SCOPE {
        obs(20);
        obs(21);
        obs(22);
      }
    }
  } else {
    (void)ts_numel(Kept);
  }
  if (x % 2) {
    for (int i24 = 0; i24 < 2; i24++) {
      TS_SCOPE {
        if (x > 13) { obs(25); return; }
      }
      int i26 = 0;
      TS_SCOPE while (i26++ < 2) {
        (void)ts_item(Kept);
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      }
    }
    int i29 = 0;
    TS_SCOPE do {
      (void)ts_numel(Kept);
    } while (i29++ < 2);
    obs(31);
  } else {
    (void)ts_numel(Kept);
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
  }
L15_11:;
  obs(34);
}

static void test_16(void) {
  int x = 0;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  ts_scope_id m1 = 0;
  (void)m0;
  (void)m1;
  switch (x % 4) {
  case 1:
    {
      m0 = ts_scope_begin();
      obs(2);
      rec(1, ts_scope_end(m0));
    }
  case 2:
    {
      TS_SCOPE for (int i3 = 0; i3 < 1; i3++) {
        x += 7;
      }
      obs(5);
    }
    break;
  case 3:
    {
      for (int i6 = 0; i6 < 1; i6++) {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      }
      x += 6;
    }
    break;
  default:;
  }
  TS_SCOPE for (int i9 = 0; i9 < 3; i9++) {
    m0 = ts_scope_begin();
    obs(11);
    rec(10, ts_scope_end(m0));
  }
  rec(12, endStep(&tr));
  int i13 = 0;
  TS_SCOPE while (i13++ < 1) {
    m1 = ts_scope_begin();
    m0 = ts_scope_begin();
    rec(14, ts_scope_end(m1));
  }
  TS_SCOPE {
    if (x > 12) { obs(16); return; }
  }
  obs(17);
}

TS_SCOPED static int scoped_17_0(int x) {
  (void)ts_numel(Kept);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static void test_17(void) {
  int x = 2;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  (void)m0;
  TS_SCOPE {
    int i2 = 0;
    TS_SCOPE while (i2++ < 2) {
      for (int i3 = 0; i3 < 1; i3++) {
        rec(4, ts_scope_end(m0));
      }
      rec(5, ts_scope_end(m0));
    }
    int i6 = 0;
    TS_SCOPE do {
      int i7 = 0;
      TS_SCOPE do {
        (void)ts_item(Kept);
        if (x % 3 == 2) goto L17_9;
        if (x % 2 == 0) break;
      } while (i7++ < 0);
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      (void)ts_numel(Kept);
    } while (i6++ < 1);
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
  }
  TS_SCOPE {
    switch (x % 3) {
    case 2:
      {
        m0 = ts_scope_begin();
      }
      break;
    default:;
    }
    TS_SCOPE {
      if (x % 3) {
        if (x % 3 == 2) goto L17_15;
      } else {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        (void)ts_item(Kept);
      }
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
    }
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
  }
L17_9: obs(20);
L17_15: obs(21);
  if (x % 3 == 1) goto L17_22;
L17_22: obs(23);
  TS_SCOPE {
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    TS_SCOPE for (int i25 = 0; i25 < 3; i25++) {
      switch (x % 2) {
      case 2:
        {
          ts_scope_end(m0);
          ts_ones(TS_SHAPE(2), TS_FLOAT32);
        }
        break;
      case 3:
        {
          rec(28, ts_scope_end(m0));
          if (x % 3 == 0) goto L17_29;
          (void)ts_numel(Kept);
        }
        break;
      default:;
      }
    }
  }
L17_29: obs(31);
  obs(32);
}

TS_SCOPED static int scoped_18_0(int x) {
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  obs(2);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
TS_SCOPED static int scoped_18_1(int x) {
  rec(3, ts_scope_end(0));
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static void test_18(void) {
  int x = 8;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  (void)m0;
  makeInCaller();
  obs(5);
  obs(6);
  if (x % 2) {
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    if (x % 3 == 1) goto L18_8;
    rec(9, ts_scope_end(m0));
  } else {
    int i10 = 0;
    TS_SCOPE while (i10++ < 3) {
      TS_SCOPE {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      }
    }
    switch (x % 4) {
    case 1:
      {
        int i12 = 0;
        TS_SCOPE while (i12++ < 2) {
          makeInCaller();
          x += 6;
        }
        switch (x % 2) {
        case 1:
          {
            rec(15, endHelper(m0));
            ts_ones(TS_SHAPE(2), TS_FLOAT32);
          }
        default:;
        }
        int i17 = 0;
        TS_SCOPE do {
          m0 = ts_scope_begin();
        } while (i17++ < 0);
      }
    case 2:
      {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      }
    default:;
    }
  }
L18_8:;
  obs(20);
}

static void test_19(void) {
  int x = 2;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  ts_scope_id m1 = 0;
  (void)m0;
  (void)m1;
  rec(1, ts_scope_end(m1));
  TS_SCOPE for (int i2 = 0; i2 < 1; i2++) {
    int i3 = 0;
    TS_SCOPE while (i3++ < 3) {
      m0 = ts_scope_begin();
      if (x % 2) {
        obs(5);
        (void)ts_numel(Kept);
      } else {
        if (x % 3 == 2) goto L19_7;
      }
      int i8 = 0;
      TS_SCOPE do {
        obs(9);
      } while (i8++ < 3);
    }
    switch (x % 4) {
    case 0:
      {
        (void)ts_numel(Kept);
        if (x % 4 == 0) break;
      }
    case 1:
      {
        if (x % 3) {
          beginSaved(2);
          m1 = ts_scope_begin();
          rec(14, ts_scope_end(m1));
        } else {
          ts_ones(TS_SHAPE(2), TS_FLOAT32);
          m1 = ts_scope_begin();
        }
        TS_SCOPE {
          if (x > 15) { obs(17); return; }
          (void)ts_item(Kept);
          beginSaved(0);
        }
      }
    case 3:
      {
        obs(20);
        rec(21, endStep(&tr));
      }
    default:;
    }
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
  }
L19_7: obs(23);
  x += 5;
  beginSaved(3);
  x += 2;
  obs(27);
}

TS_SCOPED static int scoped_20_0(int x) {
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  obs(2);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static void test_20(void) {
  int x = 2;
  trainer tr = {0, 0};
  (void)tr;
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  int i4 = 0;
  TS_SCOPE while (i4++ < 2) {
    if (x % 4 == 1) continue;
    int i6 = 0;
    TS_SCOPE while (i6++ < 1) {
      int i7 = 0;
      TS_SCOPE do {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      } while (i7++ < 3);
      (void)ts_numel(Kept);
      (void)ts_numel(Kept);
    }
    TS_SCOPE {
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
    }
  }
  if (x % 2) {
    if (x % 2) {
      obs(12);
    } else {
      rec(13, ts_scope_end(0));
      int i14 = 0;
      TS_SCOPE while (i14++ < 0) {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        if (x % 4 == 1) continue;
        rec(17, endStep(&tr));
      }
      x += scoped_20_0(x);
    }
    x += 1;
  } else {
    if (x % 2) {
      beginStep(&tr);
      x += scoped_20_0(x);
    } else {
      rec(22, ts_scope_end(1));
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
    }
  }
  rec(24, ts_scope_end(987654321));
  obs(25);
}

static void test_21(void) {
  int x = 8;
  trainer tr = {0, 0};
  (void)tr;
  if (x % 3 == 2) goto L21_1;
L21_1: obs(2);
  for (int i3 = 0; i3 < 2; i3++) {
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    if (x % 3) {
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      {
        if (x > 11) { obs(6); return; }
        (void)ts_numel(Kept);
      }
      int i8 = 0;
      TS_SCOPE while (i8++ < 1) {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      }
    } else {
      obs(11);
      for (int i12 = 0; i12 < 1; i12++) {
        (void)ts_item(Kept);
        (void)ts_item(Kept);
      }
    }
  }
  if (x % 3) {
    int i15 = 0;
    TS_SCOPE while (i15++ < 2) {
      int i16 = 0;
      TS_SCOPE while (i16++ < 1) {
        if (x > 16) { obs(17); return; }
        if (x % 4 == 1) continue;
        rec(19, ts_scope_end(0));
      }
      rec(20, ts_scope_end(1));
      if (x % 2) {
        if (x > 18) { obs(21); return; }
        obs(22);
        rec(23, ts_scope_end(1));
      } else {
        obs(24);
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      }
    }
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
  } else {
    (void)ts_numel(Kept);
    rec(28, endSaved(0));
    TS_SCOPE {
      int i29 = 0;
      TS_SCOPE do {
        obs(30);
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      } while (i29++ < 2);
    }
  }
  TS_SCOPE {
    TS_SCOPE for (int i32 = 0; i32 < 1; i32++) {
      {
        rec(33, ts_scope_end(987654321));
        rec(34, ts_scope_end(1));
      }
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
    }
    obs(36);
  }
  obs(37);
}

static void test_22(void) {
  int x = 4;
  trainer tr = {0, 0};
  (void)tr;
  for (int i1 = 0; i1 < 2; i1++) {
    if (x % 3 == 1) continue;
  }
  (void)ts_item(Kept);
  TS_SCOPE {
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    obs(5);
  }
  obs(6);
}

TS_SCOPED static int scoped_23_0(int x) {
  rec(1, endSaved(1));
  if (x % 3 == 1) goto L23_2;
  (void)ts_item(Kept);
L23_2:;
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static void test_23(void) {
  int x = 5;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  ts_scope_id m1 = 0;
  (void)m0;
  (void)m1;
  beginSaved(1);
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  obs(6);
}

TS_SCOPED static int scoped_24_0(int x) {
  rec(1, ts_scope_end(987654321));
  rec(2, ts_scope_end(1));
  rec(3, ts_scope_end(1));
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
TS_SCOPED static int scoped_24_1(int x) {
  makeInCaller();
  (void)ts_numel(Kept);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
static void test_24(void) {
  int x = 8;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  (void)m0;
  ts_scope_end(m0);
  (void)ts_numel(Kept);
  int i8 = 0;
  TS_SCOPE do {
    int i9 = 0;
    TS_SCOPE do {
      obs(10);
      TS_SCOPE {
        obs(11);
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        beginStep(&tr);
      }
    } while (i9++ < 2);
    switch (x % 4) {
    case 0:
      {
        TS_SCOPE {
          ts_ones(TS_SHAPE(2), TS_FLOAT32);
        }
        TS_SCOPE {
          (void)ts_numel(Kept);
          x += 6;
          obs(17);
        }
      }
      break;
    case 1:
      {
        obs(18);
      }
      break;
    case 2:
      {
        rec(19, ts_scope_end(m0));
        rec(20, endStep(&tr));
      }
    default:;
    }
  } while (i8++ < 0);
  obs(21);
}

TS_SCOPED static int scoped_25_0(int x) {
  obs(1);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
TS_SCOPED static int scoped_25_1(int x) {
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  x += 1;
  if (x > 32) { obs(4); return x; }
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
static void test_25(void) {
  int x = 6;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  ts_scope_id m1 = 0;
  (void)m0;
  (void)m1;
  obs(5);
  ts_scope_end(m1);
  x += 1;
  if (x % 2) {
    rec(8, ts_scope_end(m0));
  } else {
    int i9 = 0;
    TS_SCOPE do {
      int i10 = 0;
      TS_SCOPE while (i10++ < 1) {
        (void)ts_item(Kept);
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        ts_scope_end(m1);
      }
      if (x > 7) { obs(14); return; }
      int i15 = 0;
      TS_SCOPE while (i15++ < 2) {
        rec(16, endStep(&tr));
        rec(17, ts_scope_end(1));
      }
    } while (i9++ < 2);
    obs(18);
    makeInCaller();
  }
  obs(20);
}

TS_SCOPED static int scoped_26_0(int x) {
  if (x % 3 == 0) goto L26_1;
  rec(2, endSaved(1));
L26_1:;
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
static void test_26(void) {
  int x = 1;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  ts_scope_id m1 = 0;
  (void)m0;
  (void)m1;
  m1 = ts_scope_begin();
  if (x % 2) {
    x += 4;
    beginSaved(1);
    TS_SCOPE for (int i6 = 0; i6 < 1; i6++) {
      obs(7);
      rec(8, endStep(&tr));
    }
  } else {
    if (x % 3) {
      x += 4;
      obs(10);
    } else {
      obs(11);
      m0 = ts_scope_begin();
    }
    switch (x % 3) {
    case 1:
      {
        obs(13);
      }
      break;
    default:;
    }
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
  }
  TS_SCOPE {
    if (x % 3) {
      m1 = ts_scope_begin();
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
    } else {
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      (void)ts_item(Kept);
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
    }
  }
  rec(3, ts_scope_end(m1));
  int i21 = 0;
  TS_SCOPE do {
    TS_SCOPE for (int i22 = 0; i22 < 1; i22++) {
      rec(23, endStep(&tr));
      rec(24, endStep(&tr));
    }
    if (x > 39) { obs(25); return; }
    TS_SCOPE {
      rec(26, ts_scope_end(m0));
    }
  } while (i21++ < 1);
  obs(27);
  obs(28);
}

static void test_27(void) {
  int x = 8;
  trainer tr = {0, 0};
  (void)tr;
  switch (x % 4) {
  case 0:
    {
      rec(1, ts_scope_end(987654321));
      obs(2);
    }
  case 1:
    {
      rec(3, endSaved(3));
      TS_SCOPE for (int i4 = 0; i4 < 0; i4++) {
        int i5 = 0;
        TS_SCOPE do {
          rec(6, ts_scope_end(0));
        } while (i5++ < 3);
        if (x % 3) {
          beginSaved(3);
          rec(8, ts_scope_end(0));
          if (x % 4 == 1) continue;
        } else {
          x += 5;
        }
      }
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
    }
    break;
  case 3:
    {
      (void)ts_numel(Kept);
      if (x % 2) {
        obs(13);
        (void)ts_item(Kept);
        (void)ts_item(Kept);
      } else {
        (void)ts_item(Kept);
        TS_SCOPE for (int i17 = 0; i17 < 1; i17++) {
          (void)ts_item(Kept);
        }
      }
      (void)ts_numel(Kept);
    }
  default:;
  }
  switch (x % 4) {
  case 3:
    {
      rec(20, ts_scope_end(0));
      int i21 = 0;
      TS_SCOPE while (i21++ < 1) {
        TS_SCOPE {
          rec(22, endStep(&tr));
        }
      }
      if (x % 3 == 1) goto L27_23;
    }
    break;
  default:;
  }
L27_23: obs(24);
  TS_SCOPE {
    TS_SCOPE {
      switch (x % 2) {
      case 3:
        {
          makeInCaller();
        }
      default:;
      }
      if (x % 3) {
        if (x % 3 == 0) goto L27_26;
        (void)ts_numel(Kept);
      } else {
        if (x % 3 == 0) goto L27_28;
        obs(29);
      }
      switch (x % 3) {
      case 2:
        {
          if (x % 3 == 1) goto L27_30;
        }
      default:;
      }
    }
    rec(31, ts_scope_end(987654321));
    rec(32, ts_scope_end(1));
  }
L27_26: obs(33);
L27_28: obs(34);
L27_30: obs(35);
  obs(36);
}

TS_SCOPED static int scoped_28_0(int x) {
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  obs(3);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static void test_28(void) {
  int x = 1;
  trainer tr = {0, 0};
  (void)tr;
  for (int i4 = 0; i4 < 1; i4++) {
    TS_SCOPE for (int i5 = 0; i5 < 1; i5++) {
      switch (x % 2) {
      case 0:
        {
          ts_ones(TS_SHAPE(2), TS_FLOAT32);
          (void)ts_numel(Kept);
          if (x > 29) { obs(8); return; }
        }
        break;
      case 2:
        {
          rec(9, ts_scope_end(0));
          (void)ts_item(Kept);
          ts_ones(TS_SHAPE(2), TS_FLOAT32);
        }
      case 3:
        {
          rec(12, endStep(&tr));
          obs(13);
          (void)ts_item(Kept);
        }
        break;
      default:;
      }
      (void)ts_item(Kept);
    }
    TS_SCOPE {
      (void)ts_numel(Kept);
      TS_SCOPE {
        if (x % 3 == 0) goto L28_17;
        x += 4;
      }
      if (x % 4 == 0) break;
    }
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
  }
  obs(21);
L28_17:;
  obs(22);
}

static void test_29(void) {
  int x = 8;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  ts_scope_id m1 = 0;
  (void)m0;
  (void)m1;
  int i1 = 0;
  TS_SCOPE do {
    obs(2);
  } while (i1++ < 2);
  for (int i3 = 0; i3 < 2; i3++) {
    TS_SCOPE {
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      x += 1;
      switch (x % 2) {
      case 0:
        {
          rec(6, ts_scope_end(m1));
          (void)ts_item(Kept);
          obs(8);
        }
        break;
      case 1:
        {
          ts_scope_end(m1);
        }
        break;
      case 3:
        {
          ts_scope_end(m1);
          ts_scope_end(m1);
        }
        break;
      default:;
      }
    }
  }
  obs(12);
  obs(13);
}

TS_SCOPED static int scoped_30_0(int x) {
  rec(1, ts_scope_end(987654321));
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
TS_SCOPED static int scoped_30_1(int x) {
  rec(2, ts_scope_end(987654321));
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static void test_30(void) {
  int x = 5;
  trainer tr = {0, 0};
  (void)tr;
  if (x % 3 == 2) goto L30_3;
  int i4 = 0;
  TS_SCOPE do {
    TS_SCOPE {
      int i5 = 0;
      TS_SCOPE do {
        obs(6);
      } while (i5++ < 0);
      (void)ts_numel(Kept);
      rec(8, ts_scope_end(0));
    }
    TS_SCOPE {
      rec(9, ts_scope_end(1));
      obs(10);
    }
  } while (i4++ < 0);
L30_3: obs(11);
  TS_SCOPE for (int i12 = 0; i12 < 0; i12++) {
    (void)ts_item(Kept);
    int i14 = 0;
    TS_SCOPE do {
      TS_SCOPE {
        x += scoped_30_0(x);
      }
      obs(16);
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
    } while (i14++ < 2);
    rec(18, ts_scope_end(987654321));
  }
  TS_SCOPE for (int i19 = 0; i19 < 1; i19++) {
    if (x % 2 == 1) continue;
  }
  obs(21);
}

static void test_31(void) {
  int x = 1;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  ts_scope_id m1 = 0;
  (void)m0;
  (void)m1;
  makeInCaller();
  TS_SCOPE {
    int i2 = 0;
    TS_SCOPE do {
      obs(3);
    } while (i2++ < 0);
  }
  TS_SCOPE {
    if (x % 3 == 2) goto L31_4;
    m1 = ts_scope_begin();
    (void)ts_numel(Kept);
    rec(5, ts_scope_end(m1));
    rec(7, ts_scope_end(m0));
  }
  int i8 = 0;
  TS_SCOPE while (i8++ < 1) {
    x += 6;
  }
L31_4: obs(10);
  obs(11);
}

static void test_32(void) {
  int x = 0;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  ts_scope_id m1 = 0;
  (void)m0;
  (void)m1;
  TS_SCOPE {
    ts_scope_end(m0);
  }
  if (x > 10) { obs(2); return; }
  obs(3);
}

TS_SCOPED static int scoped_33_0(int x) {
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
TS_SCOPED static int scoped_33_1(int x) {
  (void)ts_numel(Kept);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
static void test_33(void) {
  int x = 3;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  (void)m0;
  int i3 = 0;
  TS_SCOPE while (i3++ < 3) {
    (void)ts_numel(Kept);
    TS_SCOPE {
      {
        obs(5);
        rec(6, ts_scope_end(1));
        obs(7);
      }
    }
    x += 1;
  }
  beginStep(&tr);
  {
    rec(10, endSaved(3));
    switch (x % 3) {
    case 1:
      {
        TS_SCOPE {
          m0 = beginHelper();
          rec(12, ts_scope_end(m0));
        }
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        if (x % 2) {
          x += 6;
          (void)ts_numel(Kept);
        } else {
          obs(16);
          (void)ts_numel(Kept);
          x += scoped_33_1(x);
        }
      }
      break;
    case 2:
      {
        TS_SCOPE {
          obs(19);
          ts_ones(TS_SHAPE(2), TS_FLOAT32);
        }
        TS_SCOPE {
          ts_ones(TS_SHAPE(2), TS_FLOAT32);
          (void)ts_item(Kept);
        }
        switch (x % 4) {
        case 2:
          {
            ts_ones(TS_SHAPE(2), TS_FLOAT32);
            obs(24);
          }
          break;
        default:;
        }
      }
      break;
    case 3:
      {
        (void)ts_numel(Kept);
        TS_SCOPE {
          ts_ones(TS_SHAPE(2), TS_FLOAT32);
          rec(27, endStep(&tr));
        }
        if (x > 23) { obs(28); return; }
      }
      break;
    default:;
    }
  }
  TS_SCOPE for (int i29 = 0; i29 < 0; i29++) {
    m0 = ts_scope_begin();
    {
      makeInCaller();
      obs(32);
    }
    m0 = ts_scope_begin();
    (void)ts_numel(Kept);
    rec(30, ts_scope_end(m0));
    (void)ts_numel(Kept);
    TS_SCOPE {
      rec(36, endSaved(1));
      int i37 = 0;
      TS_SCOPE while (i37++ < 1) {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        if (x % 4 == 1) continue;
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      }
      if (x % 3) {
        x += 3;
        rec(42, endHelper(m0));
      } else {
        obs(43);
        rec(44, ts_scope_end(m0));
      }
    }
  }
  int i45 = 0;
  TS_SCOPE do {
    int i46 = 0;
    TS_SCOPE do {
      makeInCaller();
      TS_SCOPE {
        x += 2;
        m0 = ts_scope_begin();
        rec(50, ts_scope_end(m0));
      }
    } while (i46++ < 2);
    (void)ts_numel(Kept);
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
  } while (i45++ < 0);
  obs(53);
}

TS_SCOPED static int scoped_34_0(int x) {
  rec(1, ts_scope_end(987654321));
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
TS_SCOPED static int scoped_34_1(int x) {
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static void test_34(void) {
  int x = 0;
  trainer tr = {0, 0};
  (void)tr;
  if (x % 2) {
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
  } else {
    int i6 = 0;
    TS_SCOPE while (i6++ < 0) {
      rec(7, ts_scope_end(0));
      int i8 = 0;
      TS_SCOPE while (i8++ < 2) {
        rec(9, ts_scope_end(987654321));
        (void)ts_item(Kept);
        (void)ts_numel(Kept);
      }
      (void)ts_numel(Kept);
    }
  }
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  rec(14, ts_scope_end(987654321));
  TS_SCOPE {
    obs(15);
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
  }
  TS_SCOPE {
    TS_SCOPE {
      (void)ts_numel(Kept);
    }
    makeInCaller();
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
  }
  obs(20);
}

TS_SCOPED static int scoped_35_0(int x) {
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  obs(3);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static void test_35(void) {
  int x = 0;
  trainer tr = {0, 0};
  (void)tr;
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  TS_SCOPE {
    (void)ts_numel(Kept);
    TS_SCOPE {
      (void)ts_numel(Kept);
    }
  }
  if (x % 3 == 2) goto L35_7;
  if (x % 3 == 0) goto L35_8;
L35_7: obs(9);
L35_8: obs(10);
  obs(11);
}

TS_SCOPED static int scoped_36_0(int x) {
  rec(1, ts_scope_end(1));
  (void)ts_item(Kept);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
TS_SCOPED static int scoped_36_1(int x) {
  if (x % 3 == 1) goto L36_3;
L36_3:;
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static void test_36(void) {
  int x = 5;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  (void)m0;
  if (x % 3) {
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    (void)ts_item(Kept);
    TS_SCOPE for (int i6 = 0; i6 < 0; i6++) {
      if (x > 32) { obs(7); return; }
    }
  } else {
    int i8 = 0;
    TS_SCOPE while (i8++ < 2) {
      int i9 = 0;
      TS_SCOPE while (i9++ < 2) {
        x += 1;
        obs(11);
      }
      makeInCaller();
    }
    makeInCaller();
  }
  TS_SCOPE {
    if (x % 2) {
      m0 = ts_scope_begin();
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      rec(14, ts_scope_end(m0));
    } else {
      TS_SCOPE for (int i16 = 0; i16 < 2; i16++) {
        obs(17);
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        (void)ts_item(Kept);
      }
    }
    TS_SCOPE for (int i20 = 0; i20 < 3; i20++) {
      int i21 = 0;
      TS_SCOPE while (i21++ < 0) {
        rec(22, endHelper(m0));
      }
    }
    TS_SCOPE {
      TS_SCOPE {
        if (x % 3 == 0) goto L36_23;
      }
      int i24 = 0;
      TS_SCOPE do {
        obs(25);
        m0 = ts_scope_begin();
        obs(27);
      } while (i24++ < 2);
    }
  }
  obs(28);
  rec(29, ts_scope_end(987654321));
L36_23:;
  obs(30);
}

static void test_37(void) {
  int x = 4;
  trainer tr = {0, 0};
  (void)tr;
  TS_SCOPE for (int i1 = 0; i1 < 2; i1++) {
    makeInCaller();
  }
  for (int i3 = 0; i3 < 1; i3++) {
    (void)ts_numel(Kept);
  }
  rec(5, ts_scope_end(1));
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  obs(7);
}

static void test_38(void) {
  int x = 4;
  trainer tr = {0, 0};
  (void)tr;
  {
    TS_SCOPE for (int i1 = 0; i1 < 3; i1++) {
      (void)ts_numel(Kept);
    }
  }
  if (x > 14) { obs(3); return; }
  if (x > 18) { obs(4); return; }
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  TS_SCOPE for (int i6 = 0; i6 < 0; i6++) {
    rec(7, ts_scope_end(0));
    if (x % 2) {
      if (x % 2) {
        obs(8);
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        rec(10, ts_scope_end(987654321));
      } else {
        if (x % 2 == 1) continue;
        x += 1;
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      }
    } else {
      switch (x % 3) {
      case 3:
        {
          rec(14, ts_scope_end(1));
        }
        break;
      default:;
      }
      int i15 = 0;
      TS_SCOPE do {
        obs(16);
        obs(17);
      } while (i15++ < 0);
    }
  }
  obs(18);
}

static void test_39(void) {
  int x = 1;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  (void)m0;
  (void)ts_numel(Kept);
  (void)ts_numel(Kept);
  (void)ts_item(Kept);
  makeInCaller();
  obs(5);
}

int main(void) {
  Kept = ts_keep(ts_ones(TS_SHAPE(3), TS_FLOAT32));
  static void (*const Tests[])(void) = {
    test_0,
    test_1,
    test_2,
    test_3,
    test_4,
    test_5,
    test_6,
    test_7,
    test_8,
    test_9,
    test_10,
    test_11,
    test_12,
    test_13,
    test_14,
    test_15,
    test_16,
    test_17,
    test_18,
    test_19,
    test_20,
    test_21,
    test_22,
    test_23,
    test_24,
    test_25,
    test_26,
    test_27,
    test_28,
    test_29,
    test_30,
    test_31,
    test_32,
    test_33,
    test_34,
    test_35,
    test_36,
    test_37,
    test_38,
    test_39,
  };
  for (size_t t = 0; t < sizeof Tests / sizeof *Tests; ++t) {
    Obs = (int)t;
    ts_scope_id base = ts_scope_begin();
    Tests[t]();
    rec(-1, ts_scope_end(base));
    obs(-1);
  }
  printf("live at exit %zu\n", ts_memory().live_tensors);
  return 0;
}
