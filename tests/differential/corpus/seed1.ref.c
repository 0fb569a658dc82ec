/* gen.py 1 40: the reference (gcc) */
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
    for (;;) {
      TS_SCOPE_GUARD();
      obs(6);
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      rec(8, endStep(&tr));
      C0_5: if (!(i5++ < 1)) break;
    }
    m0 = beginHelper();
    { TS_SCOPE_GUARD();
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
    for (;;) {
      TS_SCOPE_GUARD();
      rec(16, ts_scope_end(m1));
      rec(17, ts_scope_end(m0));
      C0_15: if (!(i15++ < 1)) break;
    }
    if (x % 3 == 1) goto L0_18;
  }
L0_14: obs(19);
L0_18: obs(20);
  obs(21);
}

static int scoped_1_0(int x) {
  TS_SCOPE_GUARD();
  obs(1);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
static int scoped_1_1(int x) {
  TS_SCOPE_GUARD();
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
  for (;;) {
    TS_SCOPE_GUARD();
    if (!(i5++ < 3)) break;
    x += 1;
    x += scoped_1_1(x);
    { TS_SCOPE_GUARD();
      for (int i8 = 0;;) {
        TS_SCOPE_GUARD();
        if (!(i8 < 1)) break;
        rec(9, ts_scope_end(m0));
        m1 = ts_scope_begin();
        rec(11, ts_scope_end(m1));
        C1_8: i8++;
      }
    }
    C1_5:;
  }
  rec(12, endStep(&tr));
  if (x % 3 == 2) goto L1_13;
L1_13:;
  obs(14);
}

static int scoped_2_0(int x) {
  TS_SCOPE_GUARD();
  (void)ts_numel(Kept);
  obs(2);
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
static int scoped_2_1(int x) {
  TS_SCOPE_GUARD();
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
    for (int i10 = 0;;) {
      TS_SCOPE_GUARD();
      if (!(i10 < 0)) break;
      obs(11);
      C2_10: i10++;
    }
    if (x % 3 == 1) goto L2_12;
  }
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
L2_12:;
  obs(14);
}

static int scoped_3_0(int x) {
  TS_SCOPE_GUARD();
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
  for (;;) {
    TS_SCOPE_GUARD();
    int i4 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      if (!(i4++ < 3)) break;
      makeInCaller();
      C3_4:;
    }
    obs(6);
    C3_3: if (!(i3++ < 2)) break;
  }
  (void)ts_numel(Kept);
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  obs(9);
}

static int scoped_4_0(int x) {
  TS_SCOPE_GUARD();
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
      for (int i6 = 0;;) {
        TS_SCOPE_GUARD();
        if (!(i6 < 0)) break;
        {
          rec(7, endSaved(3));
          if (x % 3 == 0) break;
          ts_ones(TS_SHAPE(2), TS_FLOAT32);
        }
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        C4_6: i6++;
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
      for (;;) {
        TS_SCOPE_GUARD();
        if (x % 2) {
          (void)ts_numel(Kept);
          obs(17);
        } else {
          (void)ts_numel(Kept);
        }
        C4_15: if (!(i15++ < 3)) break;
      }
    }
    break;
  default:;
  }
  { TS_SCOPE_GUARD();
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
    for (;;) {
      TS_SCOPE_GUARD();
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      { TS_SCOPE_GUARD();
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      }
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      C4_24: if (!(i24++ < 3)) break;
    }
  }
L4_12:;
  obs(28);
}

static int scoped_5_0(int x) {
  TS_SCOPE_GUARD();
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
  { TS_SCOPE_GUARD();
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    { TS_SCOPE_GUARD();
      rec(3, ts_scope_end(1));
      int i4 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        (void)ts_numel(Kept);
        C6_4: if (!(i4++ < 3)) break;
      }
    }
    for (int i7 = 0;;) {
      TS_SCOPE_GUARD();
      if (!(i7 < 0)) break;
      if (x % 3 == 1) goto C6_7;
      C6_7: i7++;
    }
  }
  obs(9);
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  obs(11);
  obs(12);
}

static int scoped_7_0(int x) {
  TS_SCOPE_GUARD();
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  (void)ts_item(Kept);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static int scoped_7_1(int x) {
  TS_SCOPE_GUARD();
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

static int scoped_9_0(int x) {
  TS_SCOPE_GUARD();
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

static int scoped_10_0(int x) {
  TS_SCOPE_GUARD();
  if (x % 3 == 0) goto L10_1;
L10_1:;
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static int scoped_10_1(int x) {
  TS_SCOPE_GUARD();
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
    { TS_SCOPE_GUARD();
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

static int scoped_11_0(int x) {
  TS_SCOPE_GUARD();
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
  for (;;) {
    TS_SCOPE_GUARD();
    if (!(i6++ < 2)) break;
    switch (x % 3) {
    case 3:
      {
        (void)ts_item(Kept);
        { TS_SCOPE_GUARD();
          obs(8);
          ts_scope_end(m0);
          rec(10, endHelper(m0));
        }
      }
    default:;
    }
    (void)ts_item(Kept);
    obs(12);
    C11_6:;
  }
  obs(13);
}

static int scoped_12_0(int x) {
  TS_SCOPE_GUARD();
  (void)ts_numel(Kept);
  rec(2, ts_scope_end(0));
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static int scoped_12_1(int x) {
  TS_SCOPE_GUARD();
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
    for (;;) {
      TS_SCOPE_GUARD();
      if (!(i7++ < 2)) break;
      (void)ts_numel(Kept);
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      C12_7:;
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
  for (;;) {
    TS_SCOPE_GUARD();
    { TS_SCOPE_GUARD();
      { TS_SCOPE_GUARD();
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        (void)ts_item(Kept);
        beginSaved(0);
      }
      { TS_SCOPE_GUARD();
        if (x > 10) { obs(23); return; }
      }
      int i24 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        if (!(i24++ < 3)) break;
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        obs(26);
        C12_24:;
      }
    }
    { TS_SCOPE_GUARD();
      for (int i27 = 0;;) {
        TS_SCOPE_GUARD();
        if (!(i27 < 3)) break;
        m0 = ts_scope_begin();
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        beginStep(&tr);
        C12_27: i27++;
      }
      (void)ts_item(Kept);
      if (x % 3 == 2) goto L12_32;
    }
    C12_19: if (!(i19++ < 2)) break;
  }
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
    { TS_SCOPE_GUARD();
      x += 7;
      if (x > 18) { obs(3); return; }
      for (int i4 = 0;;) {
        TS_SCOPE_GUARD();
        if (!(i4 < 2)) break;
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        C13_4: i4++;
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
    for (;;) {
      TS_SCOPE_GUARD();
      if (!(i12++ < 2)) break;
      obs(13);
      obs(14);
      if (x % 4 == 1) goto C13_12;
      C13_12:;
    }
    rec(9, ts_scope_end(m0));
    beginSaved(3);
  }
  rec(17, ts_scope_end(m0));
  obs(18);
}

static int scoped_14_0(int x) {
  TS_SCOPE_GUARD();
  if (x % 3 == 2) goto L14_1;
  if (x % 3 == 2) goto L14_2;
  (void)ts_numel(Kept);
L14_1:;
L14_2:;
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
static int scoped_14_1(int x) {
  TS_SCOPE_GUARD();
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
  for (;;) {
    TS_SCOPE_GUARD();
    rec(9, ts_scope_end(987654321));
    if (x % 2) {
      int i10 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        obs(12);
        if (x % 2 == 1) goto C14_10;
        C14_10: if (!(i10++ < 2)) break;
      }
      (void)ts_numel(Kept);
    } else {
      for (int i15 = 0; i15 < 2; i15++) {
        x += scoped_14_1(x);
        x += scoped_14_1(x);
      }
    }
    C14_8: if (!(i8++ < 3)) break;
  }
  x += 5;
  obs(19);
}

static int scoped_15_0(int x) {
  TS_SCOPE_GUARD();
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
    for (int i8 = 0;;) {
      TS_SCOPE_GUARD();
      if (!(i8 < 2)) break;
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      C15_8: i8++;
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
    for (int i16 = 0;;) {
      TS_SCOPE_GUARD();
      if (!(i16 < 3)) break;
      int i17 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        rec(18, ts_scope_end(987654321));
        (void)ts_item(Kept);
        C15_17: if (!(i17++ < 1)) break;
      }
      { TS_SCOPE_GUARD();
        obs(20);
        obs(21);
        obs(22);
      }
      C15_16: i16++;
    }
  } else {
    (void)ts_numel(Kept);
  }
  if (x % 2) {
    for (int i24 = 0; i24 < 2; i24++) {
      { TS_SCOPE_GUARD();
        if (x > 13) { obs(25); return; }
      }
      int i26 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        if (!(i26++ < 2)) break;
        (void)ts_item(Kept);
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        C15_26:;
      }
    }
    int i29 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      (void)ts_numel(Kept);
      C15_29: if (!(i29++ < 2)) break;
    }
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
      for (int i3 = 0;;) {
        TS_SCOPE_GUARD();
        if (!(i3 < 1)) break;
        x += 7;
        C16_3: i3++;
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
  for (int i9 = 0;;) {
    TS_SCOPE_GUARD();
    if (!(i9 < 3)) break;
    m0 = ts_scope_begin();
    obs(11);
    rec(10, ts_scope_end(m0));
    C16_9: i9++;
  }
  rec(12, endStep(&tr));
  int i13 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    if (!(i13++ < 1)) break;
    m1 = ts_scope_begin();
    m0 = ts_scope_begin();
    rec(14, ts_scope_end(m1));
    C16_13:;
  }
  { TS_SCOPE_GUARD();
    if (x > 12) { obs(16); return; }
  }
  obs(17);
}

static int scoped_17_0(int x) {
  TS_SCOPE_GUARD();
  (void)ts_numel(Kept);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static void test_17(void) {
  int x = 2;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  (void)m0;
  { TS_SCOPE_GUARD();
    int i2 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      if (!(i2++ < 2)) break;
      for (int i3 = 0; i3 < 1; i3++) {
        rec(4, ts_scope_end(m0));
      }
      rec(5, ts_scope_end(m0));
      C17_2:;
    }
    int i6 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      int i7 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        (void)ts_item(Kept);
        if (x % 3 == 2) goto L17_9;
        if (x % 2 == 0) break;
        C17_7: if (!(i7++ < 0)) break;
      }
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      (void)ts_numel(Kept);
      C17_6: if (!(i6++ < 1)) break;
    }
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
  }
  { TS_SCOPE_GUARD();
    switch (x % 3) {
    case 2:
      {
        m0 = ts_scope_begin();
      }
      break;
    default:;
    }
    { TS_SCOPE_GUARD();
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
  { TS_SCOPE_GUARD();
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    for (int i25 = 0;;) {
      TS_SCOPE_GUARD();
      if (!(i25 < 3)) break;
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
      C17_25: i25++;
    }
  }
L17_29: obs(31);
  obs(32);
}

static int scoped_18_0(int x) {
  TS_SCOPE_GUARD();
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  obs(2);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
static int scoped_18_1(int x) {
  TS_SCOPE_GUARD();
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
    for (;;) {
      TS_SCOPE_GUARD();
      if (!(i10++ < 3)) break;
      { TS_SCOPE_GUARD();
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      }
      C18_10:;
    }
    switch (x % 4) {
    case 1:
      {
        int i12 = 0;
        for (;;) {
          TS_SCOPE_GUARD();
          if (!(i12++ < 2)) break;
          makeInCaller();
          x += 6;
          C18_12:;
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
        for (;;) {
          TS_SCOPE_GUARD();
          m0 = ts_scope_begin();
          C18_17: if (!(i17++ < 0)) break;
        }
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
  for (int i2 = 0;;) {
    TS_SCOPE_GUARD();
    if (!(i2 < 1)) break;
    int i3 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      if (!(i3++ < 3)) break;
      m0 = ts_scope_begin();
      if (x % 2) {
        obs(5);
        (void)ts_numel(Kept);
      } else {
        if (x % 3 == 2) goto L19_7;
      }
      int i8 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        obs(9);
        C19_8: if (!(i8++ < 3)) break;
      }
      C19_3:;
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
        { TS_SCOPE_GUARD();
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
    C19_2: i2++;
  }
L19_7: obs(23);
  x += 5;
  beginSaved(3);
  x += 2;
  obs(27);
}

static int scoped_20_0(int x) {
  TS_SCOPE_GUARD();
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
  for (;;) {
    TS_SCOPE_GUARD();
    if (!(i4++ < 2)) break;
    if (x % 4 == 1) goto C20_4;
    int i6 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      if (!(i6++ < 1)) break;
      int i7 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        C20_7: if (!(i7++ < 3)) break;
      }
      (void)ts_numel(Kept);
      (void)ts_numel(Kept);
      C20_6:;
    }
    { TS_SCOPE_GUARD();
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
    }
    C20_4:;
  }
  if (x % 2) {
    if (x % 2) {
      obs(12);
    } else {
      rec(13, ts_scope_end(0));
      int i14 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        if (!(i14++ < 0)) break;
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        if (x % 4 == 1) goto C20_14;
        rec(17, endStep(&tr));
        C20_14:;
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
      for (;;) {
        TS_SCOPE_GUARD();
        if (!(i8++ < 1)) break;
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        C21_8:;
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
    for (;;) {
      TS_SCOPE_GUARD();
      if (!(i15++ < 2)) break;
      int i16 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        if (!(i16++ < 1)) break;
        if (x > 16) { obs(17); return; }
        if (x % 4 == 1) goto C21_16;
        rec(19, ts_scope_end(0));
        C21_16:;
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
      C21_15:;
    }
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
  } else {
    (void)ts_numel(Kept);
    rec(28, endSaved(0));
    { TS_SCOPE_GUARD();
      int i29 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        obs(30);
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        C21_29: if (!(i29++ < 2)) break;
      }
    }
  }
  { TS_SCOPE_GUARD();
    for (int i32 = 0;;) {
      TS_SCOPE_GUARD();
      if (!(i32 < 1)) break;
      {
        rec(33, ts_scope_end(987654321));
        rec(34, ts_scope_end(1));
      }
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      C21_32: i32++;
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
  { TS_SCOPE_GUARD();
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    obs(5);
  }
  obs(6);
}

static int scoped_23_0(int x) {
  TS_SCOPE_GUARD();
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

static int scoped_24_0(int x) {
  TS_SCOPE_GUARD();
  rec(1, ts_scope_end(987654321));
  rec(2, ts_scope_end(1));
  rec(3, ts_scope_end(1));
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
static int scoped_24_1(int x) {
  TS_SCOPE_GUARD();
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
  for (;;) {
    TS_SCOPE_GUARD();
    int i9 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      obs(10);
      { TS_SCOPE_GUARD();
        obs(11);
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        beginStep(&tr);
      }
      C24_9: if (!(i9++ < 2)) break;
    }
    switch (x % 4) {
    case 0:
      {
        { TS_SCOPE_GUARD();
          ts_ones(TS_SHAPE(2), TS_FLOAT32);
        }
        { TS_SCOPE_GUARD();
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
    C24_8: if (!(i8++ < 0)) break;
  }
  obs(21);
}

static int scoped_25_0(int x) {
  TS_SCOPE_GUARD();
  obs(1);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
static int scoped_25_1(int x) {
  TS_SCOPE_GUARD();
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
    for (;;) {
      TS_SCOPE_GUARD();
      int i10 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        if (!(i10++ < 1)) break;
        (void)ts_item(Kept);
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        ts_scope_end(m1);
        C25_10:;
      }
      if (x > 7) { obs(14); return; }
      int i15 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        if (!(i15++ < 2)) break;
        rec(16, endStep(&tr));
        rec(17, ts_scope_end(1));
        C25_15:;
      }
      C25_9: if (!(i9++ < 2)) break;
    }
    obs(18);
    makeInCaller();
  }
  obs(20);
}

static int scoped_26_0(int x) {
  TS_SCOPE_GUARD();
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
    for (int i6 = 0;;) {
      TS_SCOPE_GUARD();
      if (!(i6 < 1)) break;
      obs(7);
      rec(8, endStep(&tr));
      C26_6: i6++;
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
  { TS_SCOPE_GUARD();
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
  for (;;) {
    TS_SCOPE_GUARD();
    for (int i22 = 0;;) {
      TS_SCOPE_GUARD();
      if (!(i22 < 1)) break;
      rec(23, endStep(&tr));
      rec(24, endStep(&tr));
      C26_22: i22++;
    }
    if (x > 39) { obs(25); return; }
    { TS_SCOPE_GUARD();
      rec(26, ts_scope_end(m0));
    }
    C26_21: if (!(i21++ < 1)) break;
  }
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
      for (int i4 = 0;;) {
        TS_SCOPE_GUARD();
        if (!(i4 < 0)) break;
        int i5 = 0;
        for (;;) {
          TS_SCOPE_GUARD();
          rec(6, ts_scope_end(0));
          C27_5: if (!(i5++ < 3)) break;
        }
        if (x % 3) {
          beginSaved(3);
          rec(8, ts_scope_end(0));
          if (x % 4 == 1) goto C27_4;
        } else {
          x += 5;
        }
        C27_4: i4++;
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
        for (int i17 = 0;;) {
          TS_SCOPE_GUARD();
          if (!(i17 < 1)) break;
          (void)ts_item(Kept);
          C27_17: i17++;
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
      for (;;) {
        TS_SCOPE_GUARD();
        if (!(i21++ < 1)) break;
        { TS_SCOPE_GUARD();
          rec(22, endStep(&tr));
        }
        C27_21:;
      }
      if (x % 3 == 1) goto L27_23;
    }
    break;
  default:;
  }
L27_23: obs(24);
  { TS_SCOPE_GUARD();
    { TS_SCOPE_GUARD();
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

static int scoped_28_0(int x) {
  TS_SCOPE_GUARD();
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
    for (int i5 = 0;;) {
      TS_SCOPE_GUARD();
      if (!(i5 < 1)) break;
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
      C28_5: i5++;
    }
    { TS_SCOPE_GUARD();
      (void)ts_numel(Kept);
      { TS_SCOPE_GUARD();
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
  for (;;) {
    TS_SCOPE_GUARD();
    obs(2);
    C29_1: if (!(i1++ < 2)) break;
  }
  for (int i3 = 0; i3 < 2; i3++) {
    { TS_SCOPE_GUARD();
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

static int scoped_30_0(int x) {
  TS_SCOPE_GUARD();
  rec(1, ts_scope_end(987654321));
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static int scoped_30_1(int x) {
  TS_SCOPE_GUARD();
  rec(2, ts_scope_end(987654321));
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static void test_30(void) {
  int x = 5;
  trainer tr = {0, 0};
  (void)tr;
  if (x % 3 == 2) goto L30_3;
  int i4 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    { TS_SCOPE_GUARD();
      int i5 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        obs(6);
        C30_5: if (!(i5++ < 0)) break;
      }
      (void)ts_numel(Kept);
      rec(8, ts_scope_end(0));
    }
    { TS_SCOPE_GUARD();
      rec(9, ts_scope_end(1));
      obs(10);
    }
    C30_4: if (!(i4++ < 0)) break;
  }
L30_3: obs(11);
  for (int i12 = 0;;) {
    TS_SCOPE_GUARD();
    if (!(i12 < 0)) break;
    (void)ts_item(Kept);
    int i14 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      { TS_SCOPE_GUARD();
        x += scoped_30_0(x);
      }
      obs(16);
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      C30_14: if (!(i14++ < 2)) break;
    }
    rec(18, ts_scope_end(987654321));
    C30_12: i12++;
  }
  for (int i19 = 0;;) {
    TS_SCOPE_GUARD();
    if (!(i19 < 1)) break;
    if (x % 2 == 1) goto C30_19;
    C30_19: i19++;
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
  { TS_SCOPE_GUARD();
    int i2 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      obs(3);
      C31_2: if (!(i2++ < 0)) break;
    }
  }
  { TS_SCOPE_GUARD();
    if (x % 3 == 2) goto L31_4;
    m1 = ts_scope_begin();
    (void)ts_numel(Kept);
    rec(5, ts_scope_end(m1));
    rec(7, ts_scope_end(m0));
  }
  int i8 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    if (!(i8++ < 1)) break;
    x += 6;
    C31_8:;
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
  { TS_SCOPE_GUARD();
    ts_scope_end(m0);
  }
  if (x > 10) { obs(2); return; }
  obs(3);
}

static int scoped_33_0(int x) {
  TS_SCOPE_GUARD();
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
static int scoped_33_1(int x) {
  TS_SCOPE_GUARD();
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
  for (;;) {
    TS_SCOPE_GUARD();
    if (!(i3++ < 3)) break;
    (void)ts_numel(Kept);
    { TS_SCOPE_GUARD();
      {
        obs(5);
        rec(6, ts_scope_end(1));
        obs(7);
      }
    }
    x += 1;
    C33_3:;
  }
  beginStep(&tr);
  {
    rec(10, endSaved(3));
    switch (x % 3) {
    case 1:
      {
        { TS_SCOPE_GUARD();
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
        { TS_SCOPE_GUARD();
          obs(19);
          ts_ones(TS_SHAPE(2), TS_FLOAT32);
        }
        { TS_SCOPE_GUARD();
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
        { TS_SCOPE_GUARD();
          ts_ones(TS_SHAPE(2), TS_FLOAT32);
          rec(27, endStep(&tr));
        }
        if (x > 23) { obs(28); return; }
      }
      break;
    default:;
    }
  }
  for (int i29 = 0;;) {
    TS_SCOPE_GUARD();
    if (!(i29 < 0)) break;
    m0 = ts_scope_begin();
    {
      makeInCaller();
      obs(32);
    }
    m0 = ts_scope_begin();
    (void)ts_numel(Kept);
    rec(30, ts_scope_end(m0));
    (void)ts_numel(Kept);
    { TS_SCOPE_GUARD();
      rec(36, endSaved(1));
      int i37 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        if (!(i37++ < 1)) break;
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        if (x % 4 == 1) goto C33_37;
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        C33_37:;
      }
      if (x % 3) {
        x += 3;
        rec(42, endHelper(m0));
      } else {
        obs(43);
        rec(44, ts_scope_end(m0));
      }
    }
    C33_29: i29++;
  }
  int i45 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    int i46 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      makeInCaller();
      { TS_SCOPE_GUARD();
        x += 2;
        m0 = ts_scope_begin();
        rec(50, ts_scope_end(m0));
      }
      C33_46: if (!(i46++ < 2)) break;
    }
    (void)ts_numel(Kept);
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    C33_45: if (!(i45++ < 0)) break;
  }
  obs(53);
}

static int scoped_34_0(int x) {
  TS_SCOPE_GUARD();
  rec(1, ts_scope_end(987654321));
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
static int scoped_34_1(int x) {
  TS_SCOPE_GUARD();
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
    for (;;) {
      TS_SCOPE_GUARD();
      if (!(i6++ < 0)) break;
      rec(7, ts_scope_end(0));
      int i8 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        if (!(i8++ < 2)) break;
        rec(9, ts_scope_end(987654321));
        (void)ts_item(Kept);
        (void)ts_numel(Kept);
        C34_8:;
      }
      (void)ts_numel(Kept);
      C34_6:;
    }
  }
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  rec(14, ts_scope_end(987654321));
  { TS_SCOPE_GUARD();
    obs(15);
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
  }
  { TS_SCOPE_GUARD();
    { TS_SCOPE_GUARD();
      (void)ts_numel(Kept);
    }
    makeInCaller();
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
  }
  obs(20);
}

static int scoped_35_0(int x) {
  TS_SCOPE_GUARD();
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
  { TS_SCOPE_GUARD();
    (void)ts_numel(Kept);
    { TS_SCOPE_GUARD();
      (void)ts_numel(Kept);
    }
  }
  if (x % 3 == 2) goto L35_7;
  if (x % 3 == 0) goto L35_8;
L35_7: obs(9);
L35_8: obs(10);
  obs(11);
}

static int scoped_36_0(int x) {
  TS_SCOPE_GUARD();
  rec(1, ts_scope_end(1));
  (void)ts_item(Kept);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
static int scoped_36_1(int x) {
  TS_SCOPE_GUARD();
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
    for (int i6 = 0;;) {
      TS_SCOPE_GUARD();
      if (!(i6 < 0)) break;
      if (x > 32) { obs(7); return; }
      C36_6: i6++;
    }
  } else {
    int i8 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      if (!(i8++ < 2)) break;
      int i9 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        if (!(i9++ < 2)) break;
        x += 1;
        obs(11);
        C36_9:;
      }
      makeInCaller();
      C36_8:;
    }
    makeInCaller();
  }
  { TS_SCOPE_GUARD();
    if (x % 2) {
      m0 = ts_scope_begin();
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      rec(14, ts_scope_end(m0));
    } else {
      for (int i16 = 0;;) {
        TS_SCOPE_GUARD();
        if (!(i16 < 2)) break;
        obs(17);
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        (void)ts_item(Kept);
        C36_16: i16++;
      }
    }
    for (int i20 = 0;;) {
      TS_SCOPE_GUARD();
      if (!(i20 < 3)) break;
      int i21 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        if (!(i21++ < 0)) break;
        rec(22, endHelper(m0));
        C36_21:;
      }
      C36_20: i20++;
    }
    { TS_SCOPE_GUARD();
      { TS_SCOPE_GUARD();
        if (x % 3 == 0) goto L36_23;
      }
      int i24 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        obs(25);
        m0 = ts_scope_begin();
        obs(27);
        C36_24: if (!(i24++ < 2)) break;
      }
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
  for (int i1 = 0;;) {
    TS_SCOPE_GUARD();
    if (!(i1 < 2)) break;
    makeInCaller();
    C37_1: i1++;
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
    for (int i1 = 0;;) {
      TS_SCOPE_GUARD();
      if (!(i1 < 3)) break;
      (void)ts_numel(Kept);
      C38_1: i1++;
    }
  }
  if (x > 14) { obs(3); return; }
  if (x > 18) { obs(4); return; }
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  for (int i6 = 0;;) {
    TS_SCOPE_GUARD();
    if (!(i6 < 0)) break;
    rec(7, ts_scope_end(0));
    if (x % 2) {
      if (x % 2) {
        obs(8);
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        rec(10, ts_scope_end(987654321));
      } else {
        if (x % 2 == 1) goto C38_6;
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
      for (;;) {
        TS_SCOPE_GUARD();
        obs(16);
        obs(17);
        C38_15: if (!(i15++ < 0)) break;
      }
    }
    C38_6: i6++;
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
