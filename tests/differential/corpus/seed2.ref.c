/* gen.py 2 40: the reference (gcc) */
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
  if (x % 3 == 2) goto L0_1;
L0_1: obs(2);
  rec(3, ts_scope_end(0));
  { TS_SCOPE_GUARD();
    { TS_SCOPE_GUARD();
      int i4 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        obs(5);
        rec(6, ts_scope_end(1));
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        C0_4: if (!(i4++ < 2)) break;
      }
      obs(8);
    }
    int i9 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      if (!(i9++ < 3)) break;
      rec(10, ts_scope_end(0));
      (void)ts_numel(Kept);
      (void)ts_numel(Kept);
      C0_9:;
    }
    (void)ts_numel(Kept);
  }
  rec(14, ts_scope_end(987654321));
  obs(15);
}

static int scoped_1_0(int x) {
  TS_SCOPE_GUARD();
  if (x % 3 == 2) goto L1_1;
  (void)ts_numel(Kept);
  obs(3);
L1_1:;
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
static void test_1(void) {
  int x = 8;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  ts_scope_id m1 = 0;
  (void)m0;
  (void)m1;
  int i4 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    if (!(i4++ < 3)) break;
    int i5 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      int i6 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        if (!(i6++ < 2)) break;
        m1 = ts_scope_begin();
        beginStep(&tr);
        C1_6:;
      }
      int i9 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        rec(10, endStep(&tr));
        obs(11);
        C1_9: if (!(i9++ < 3)) break;
      }
      { TS_SCOPE_GUARD();
        (void)ts_item(Kept);
        if (x > 35) { obs(13); return; }
        makeInCaller();
      }
      C1_5: if (!(i5++ < 3)) break;
    }
    C1_4:;
  }
  x += scoped_1_0(x);
  if (x % 3 == 0) goto L1_16;
L1_16: obs(17);
  int i18 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    { TS_SCOPE_GUARD();
      { TS_SCOPE_GUARD();
        rec(19, ts_scope_end(m0));
      }
    }
    int i20 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      (void)ts_item(Kept);
      (void)ts_numel(Kept);
      obs(23);
      C1_20: if (!(i20++ < 0)) break;
    }
    C1_18: if (!(i18++ < 0)) break;
  }
  obs(24);
}

static int scoped_2_0(int x) {
  TS_SCOPE_GUARD();
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
static int scoped_2_1(int x) {
  TS_SCOPE_GUARD();
  (void)ts_numel(Kept);
  (void)ts_item(Kept);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
static void test_2(void) {
  int x = 1;
  trainer tr = {0, 0};
  (void)tr;
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  if (x % 3 == 0) goto L2_5;
L2_5: obs(6);
  obs(7);
}

static int scoped_3_0(int x) {
  TS_SCOPE_GUARD();
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
static void test_3(void) {
  int x = 8;
  trainer tr = {0, 0};
  (void)tr;
  rec(2, ts_scope_end(0));
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  obs(4);
}

static void test_4(void) {
  int x = 5;
  trainer tr = {0, 0};
  (void)tr;
  obs(1);
  { TS_SCOPE_GUARD();
    switch (x % 4) {
    case 0:
      {
        { TS_SCOPE_GUARD();
          (void)ts_numel(Kept);
          ts_ones(TS_SHAPE(2), TS_FLOAT32);
        }
        if (x % 3) {
          ts_ones(TS_SHAPE(2), TS_FLOAT32);
        } else {
          ts_ones(TS_SHAPE(2), TS_FLOAT32);
          rec(6, ts_scope_end(987654321));
        }
        int i7 = 0;
        for (;;) {
          TS_SCOPE_GUARD();
          if (!(i7++ < 2)) break;
          obs(8);
          C4_7:;
        }
      }
      break;
    case 1:
      {
        int i9 = 0;
        for (;;) {
          TS_SCOPE_GUARD();
          rec(10, ts_scope_end(0));
          rec(11, endStep(&tr));
          (void)ts_item(Kept);
          C4_9: if (!(i9++ < 0)) break;
        }
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      }
    case 2:
      {
        x += 4;
      }
    default:;
    }
    (void)ts_numel(Kept);
  }
  obs(16);
}

static int scoped_5_0(int x) {
  TS_SCOPE_GUARD();
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  (void)ts_item(Kept);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static int scoped_5_1(int x) {
  TS_SCOPE_GUARD();
  (void)ts_numel(Kept);
  rec(4, ts_scope_end(987654321));
  if (x % 3 == 1) goto L5_5;
L5_5:;
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
static void test_5(void) {
  int x = 6;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  ts_scope_id m1 = 0;
  (void)m0;
  (void)m1;
  if (x % 2) {
    obs(6);
  } else {
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    if (x % 2) {
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
    } else {
      if (x % 3 == 0) goto L5_9;
    }
  }
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
L5_9: obs(11);
  int i12 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    if (x % 2) {
      int i13 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        rec(14, ts_scope_end(m0));
        m0 = ts_scope_begin();
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        C5_13: if (!(i13++ < 0)) break;
      }
      switch (x % 3) {
      case 0:
        {
          obs(17);
          makeInCaller();
          m1 = beginHelper();
        }
      default:;
      }
      for (int i20 = 0;;) {
        TS_SCOPE_GUARD();
        if (!(i20 < 0)) break;
        (void)ts_numel(Kept);
        if (x > 6) { obs(22); return; }
        C5_20: i20++;
      }
    } else {
      obs(23);
      switch (x % 3) {
      case 0:
        {
          makeInCaller();
        }
      default:;
      }
    }
    C5_12: if (!(i12++ < 3)) break;
  }
  makeInCaller();
  obs(26);
}

static int scoped_6_0(int x) {
  TS_SCOPE_GUARD();
  (void)ts_numel(Kept);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
static int scoped_6_1(int x) {
  TS_SCOPE_GUARD();
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
static void test_6(void) {
  int x = 6;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  (void)m0;
  if (x % 3 == 1) goto L6_3;
L6_3: obs(4);
  (void)ts_item(Kept);
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  rec(7, ts_scope_end(1));
  for (int i8 = 0;;) {
    TS_SCOPE_GUARD();
    if (!(i8 < 0)) break;
    m0 = ts_scope_begin();
    if (x % 3) {
      obs(10);
      x += 3;
    } else {
      (void)ts_item(Kept);
      x += 8;
    }
    rec(9, ts_scope_end(m0));
    C6_8: i8++;
  }
  obs(14);
}

static int scoped_7_0(int x) {
  TS_SCOPE_GUARD();
  obs(1);
  x += 5;
  obs(3);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static int scoped_7_1(int x) {
  TS_SCOPE_GUARD();
  x += 5;
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
static void test_7(void) {
  int x = 1;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  (void)m0;
  obs(5);
  m0 = ts_scope_begin();
  obs(7);
}

static int scoped_8_0(int x) {
  TS_SCOPE_GUARD();
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
static void test_8(void) {
  int x = 0;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  ts_scope_id m1 = 0;
  (void)m0;
  (void)m1;
  obs(2);
  x += scoped_8_0(x);
  { TS_SCOPE_GUARD();
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    m1 = ts_scope_begin();
    obs(6);
  }
  obs(7);
}

static int scoped_9_0(int x) {
  TS_SCOPE_GUARD();
  if (x % 3 == 2) goto L9_1;
L9_1:;
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
static int scoped_9_1(int x) {
  TS_SCOPE_GUARD();
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
static void test_9(void) {
  int x = 3;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  ts_scope_id m1 = 0;
  (void)m0;
  (void)m1;
  if (x > 14) { obs(3); return; }
  int i4 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    if (x % 2 == 0) break;
    int i6 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      if (!(i6++ < 2)) break;
      int i7 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        rec(8, ts_scope_end(m1));
        if (x % 3 == 2) goto L9_9;
        C9_7: if (!(i7++ < 3)) break;
      }
      if (x > 19) { obs(10); return; }
      for (int i11 = 0; i11 < 3; i11++) {
        obs(12);
        beginSaved(0);
        x += 8;
      }
      C9_6:;
    }
    { TS_SCOPE_GUARD();
      obs(15);
    }
    C9_4: if (!(i4++ < 0)) break;
  }
  {
    obs(16);
  }
  if (x % 3 == 2) goto L9_17;
  for (int i18 = 0; i18 < 0; i18++) {
    int i19 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      if (!(i19++ < 2)) break;
      { TS_SCOPE_GUARD();
        x += scoped_9_0(x);
        if (x > 9) { obs(21); return; }
      }
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      switch (x % 4) {
      case 0:
        {
          obs(23);
          x += 5;
          m1 = ts_scope_begin();
        }
      case 1:
        {
          rec(26, ts_scope_end(1));
        }
      case 2:
        {
          (void)ts_item(Kept);
          rec(28, endHelper(m0));
        }
      default:;
      }
      C9_19:;
    }
    int i29 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      if (!(i29++ < 2)) break;
      makeInCaller();
      C9_29:;
    }
    for (int i31 = 0;;) {
      TS_SCOPE_GUARD();
      if (!(i31 < 2)) break;
      int i32 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        m1 = beginHelper();
        C9_32: if (!(i32++ < 3)) break;
      }
      C9_31: i31++;
    }
  }
L9_9:;
L9_17:;
  obs(34);
}

static int scoped_10_0(int x) {
  TS_SCOPE_GUARD();
  rec(1, ts_scope_end(987654321));
  makeInCaller();
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
static void test_10(void) {
  int x = 4;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  (void)m0;
  int i4 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    m0 = ts_scope_begin();
    rec(6, ts_scope_end(m0));
    { TS_SCOPE_GUARD();
      (void)ts_numel(Kept);
      switch (x % 2) {
      case 0:
        {
          m0 = beginHelper();
        }
      case 2:
        {
          obs(9);
          ts_ones(TS_SHAPE(2), TS_FLOAT32);
        }
        break;
      case 3:
        {
          obs(11);
          ts_ones(TS_SHAPE(2), TS_FLOAT32);
        }
        break;
      default:;
      }
    }
    C10_4: if (!(i4++ < 3)) break;
  }
  int i13 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    if (!(i13++ < 1)) break;
    for (int i14 = 0; i14 < 2; i14++) {
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      x += 4;
    }
    m0 = ts_scope_begin();
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    rec(17, ts_scope_end(m0));
    (void)ts_numel(Kept);
    C10_13:;
  }
  rec(20, ts_scope_end(m0));
  int i21 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    if (!(i21++ < 2)) break;
    if (x % 3 == 2) goto L10_22;
    {
      for (int i23 = 0; i23 < 2; i23++) {
        obs(24);
        x += 3;
      }
      obs(26);
      switch (x % 2) {
      case 2:
        {
          ts_ones(TS_SHAPE(2), TS_FLOAT32);
          ts_ones(TS_SHAPE(2), TS_FLOAT32);
        }
      default:;
      }
    }
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    C10_21:;
  }
L10_22: obs(30);
  obs(31);
}

static void test_11(void) {
  int x = 6;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  ts_scope_id m1 = 0;
  (void)m0;
  (void)m1;
  for (int i1 = 0;;) {
    TS_SCOPE_GUARD();
    if (!(i1 < 3)) break;
    x += 3;
    obs(3);
    x += 2;
    C11_1: i1++;
  }
  (void)ts_numel(Kept);
  obs(6);
}

static int scoped_12_0(int x) {
  TS_SCOPE_GUARD();
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  obs(2);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
static void test_12(void) {
  int x = 1;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  (void)m0;
  (void)ts_item(Kept);
  int i4 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    rec(5, endSaved(0));
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    C12_4: if (!(i4++ < 0)) break;
  }
  int i7 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    if (!(i7++ < 1)) break;
    for (int i8 = 0; i8 < 2; i8++) {
      if (x % 3) {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      } else {
        if (x > 35) { obs(10); return; }
        x += 6;
      }
      for (int i12 = 0; i12 < 3; i12++) {
        rec(13, endHelper(m0));
        obs(14);
      }
      m0 = ts_scope_begin();
    }
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    C12_7:;
  }
  for (int i17 = 0; i17 < 0; i17++) {
    { TS_SCOPE_GUARD();
      makeInCaller();
    }
    if (x % 2) {
      beginStep(&tr);
      (void)ts_numel(Kept);
    } else {
      obs(21);
    }
    { TS_SCOPE_GUARD();
      for (int i22 = 0;;) {
        TS_SCOPE_GUARD();
        if (!(i22 < 3)) break;
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        C12_22: i22++;
      }
      { TS_SCOPE_GUARD();
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        x += scoped_12_0(x);
      }
    }
  }
  obs(27);
}

static void test_13(void) {
  int x = 8;
  trainer tr = {0, 0};
  (void)tr;
  int i1 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    x += 1;
    C13_1: if (!(i1++ < 1)) break;
  }
  rec(3, ts_scope_end(0));
  obs(4);
}

static void test_14(void) {
  int x = 7;
  trainer tr = {0, 0};
  (void)tr;
  rec(1, ts_scope_end(0));
  int i2 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    if (!(i2++ < 3)) break;
    switch (x % 4) {
    case 0:
      {
        for (int i3 = 0;;) {
          TS_SCOPE_GUARD();
          if (!(i3 < 3)) break;
          makeInCaller();
          C14_3: i3++;
        }
      }
      break;
    default:;
    }
    { TS_SCOPE_GUARD();
      obs(5);
      makeInCaller();
    }
    rec(7, ts_scope_end(0));
    C14_2:;
  }
  int i8 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    if (!(i8++ < 3)) break;
    obs(9);
    { TS_SCOPE_GUARD();
      if (x % 2) {
        rec(10, ts_scope_end(987654321));
      } else {
        (void)ts_numel(Kept);
      }
      obs(12);
      { TS_SCOPE_GUARD();
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        beginSaved(0);
        if (x % 4 == 0) break;
      }
    }
    C14_8:;
  }
  obs(16);
}

static int scoped_15_0(int x) {
  TS_SCOPE_GUARD();
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
static int scoped_15_1(int x) {
  TS_SCOPE_GUARD();
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  if (x % 3 == 0) goto L15_3;
L15_3:;
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static void test_15(void) {
  int x = 8;
  trainer tr = {0, 0};
  (void)tr;
  { TS_SCOPE_GUARD();
    {
      obs(4);
    }
    int i5 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      rec(6, endStep(&tr));
      int i7 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        x += scoped_15_1(x);
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        (void)ts_numel(Kept);
        C15_7: if (!(i7++ < 0)) break;
      }
      C15_5: if (!(i5++ < 0)) break;
    }
    obs(11);
  }
  rec(12, ts_scope_end(987654321));
  rec(13, ts_scope_end(987654321));
  obs(14);
}

static int scoped_16_0(int x) {
  TS_SCOPE_GUARD();
  obs(1);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static int scoped_16_1(int x) {
  TS_SCOPE_GUARD();
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  obs(3);
  x += 6;
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
static void test_16(void) {
  int x = 9;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  (void)m0;
  { TS_SCOPE_GUARD();
    for (int i5 = 0;;) {
      TS_SCOPE_GUARD();
      if (!(i5 < 3)) break;
      makeInCaller();
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      ts_scope_end(m0);
      C16_5: i5++;
    }
    for (int i9 = 0; i9 < 2; i9++) {
      for (int i10 = 0;;) {
        TS_SCOPE_GUARD();
        if (!(i10 < 0)) break;
        (void)ts_numel(Kept);
        C16_10: i10++;
      }
    }
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
  }
  m0 = ts_scope_begin();
  m0 = ts_scope_begin();
  obs(15);
  if (x % 2) {
    for (int i16 = 0; i16 < 1; i16++) {
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
    }
    if (x % 3) {
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      beginSaved(3);
      beginSaved(0);
    } else {
      (void)ts_item(Kept);
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
    }
  } else {
    (void)ts_numel(Kept);
    rec(24, ts_scope_end(987654321));
    rec(25, ts_scope_end(m0));
  }
  rec(14, ts_scope_end(m0));
  (void)ts_item(Kept);
  obs(27);
}

static int scoped_17_0(int x) {
  TS_SCOPE_GUARD();
  rec(1, ts_scope_end(0));
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
static int scoped_17_1(int x) {
  TS_SCOPE_GUARD();
  (void)ts_item(Kept);
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  rec(4, ts_scope_end(987654321));
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
static void test_17(void) {
  int x = 1;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  (void)m0;
  obs(5);
  int i6 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    if (!(i6++ < 1)) break;
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    C17_6:;
  }
  switch (x % 2) {
  case 0:
    {
      for (int i8 = 0;;) {
        TS_SCOPE_GUARD();
        if (!(i8 < 2)) break;
        m0 = ts_scope_begin();
        C17_8: i8++;
      }
      switch (x % 4) {
      case 3:
        {
          int i10 = 0;
          for (;;) {
            TS_SCOPE_GUARD();
            if (!(i10++ < 0)) break;
            x += 1;
            C17_10:;
          }
          rec(12, endStep(&tr));
          obs(13);
        }
      default:;
      }
      { TS_SCOPE_GUARD();
        rec(14, endSaved(2));
        switch (x % 4) {
        case 1:
          {
            x += scoped_17_0(x);
            ts_ones(TS_SHAPE(2), TS_FLOAT32);
          }
          break;
        default:;
        }
        m0 = ts_scope_begin();
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        rec(19, ts_scope_end(m0));
        rec(17, ts_scope_end(m0));
      }
    }
  case 1:
    {
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      int i21 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        if (!(i21++ < 2)) break;
        m0 = ts_scope_begin();
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        C17_21:;
      }
      obs(24);
    }
  case 3:
    {
      switch (x % 4) {
      case 0:
        {
          switch (x % 4) {
          case 1:
            {
              (void)ts_numel(Kept);
            }
          case 3:
            {
              ts_ones(TS_SHAPE(2), TS_FLOAT32);
              ts_ones(TS_SHAPE(2), TS_FLOAT32);
              rec(28, ts_scope_end(m0));
            }
          default:;
          }
          ts_ones(TS_SHAPE(2), TS_FLOAT32);
          (void)ts_item(Kept);
        }
      default:;
      }
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
    }
    break;
  default:;
  }
  ts_scope_end(m0);
  ts_scope_end(m0);
  obs(34);
}

static void test_18(void) {
  int x = 6;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  ts_scope_id m1 = 0;
  (void)m0;
  (void)m1;
  int i1 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    switch (x % 4) {
    case 0:
      {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      }
      break;
    case 3:
      {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        { TS_SCOPE_GUARD();
          obs(4);
          obs(5);
          ts_scope_end(m1);
        }
        for (int i7 = 0; i7 < 2; i7++) {
          ts_ones(TS_SHAPE(2), TS_FLOAT32);
        }
      }
      break;
    default:;
    }
    C18_1: if (!(i1++ < 1)) break;
  }
  { TS_SCOPE_GUARD();
    int i9 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      for (int i10 = 0;;) {
        TS_SCOPE_GUARD();
        if (!(i10 < 3)) break;
        (void)ts_item(Kept);
        if (x > 19) { obs(12); return; }
        C18_10: i10++;
      }
      if (x % 3 == 2) goto L18_13;
      C18_9: if (!(i9++ < 2)) break;
    }
  }
L18_13:;
  obs(14);
}

static int scoped_19_0(int x) {
  TS_SCOPE_GUARD();
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  obs(2);
  makeInCaller();
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static void test_19(void) {
  int x = 7;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  ts_scope_id m1 = 0;
  (void)m0;
  (void)m1;
  for (int i4 = 0;;) {
    TS_SCOPE_GUARD();
    if (!(i4 < 3)) break;
    int i5 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      rec(6, ts_scope_end(m0));
      if (x % 3 == 1) goto L19_7;
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      C19_5: if (!(i5++ < 3)) break;
    }
    m0 = ts_scope_begin();
    m1 = ts_scope_begin();
    obs(11);
    rec(10, ts_scope_end(m1));
    int i12 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      if (x % 3 == 1) goto C19_12;
      C19_12: if (!(i12++ < 3)) break;
    }
    for (int i14 = 0;;) {
      TS_SCOPE_GUARD();
      if (!(i14 < 1)) break;
      rec(15, endStep(&tr));
      C19_14: i14++;
    }
    rec(9, ts_scope_end(m0));
    obs(16);
    C19_4: i4++;
  }
L19_7: obs(17);
  if (x % 2) {
    obs(18);
    int i19 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      if (!(i19++ < 2)) break;
      rec(20, endStep(&tr));
      ts_scope_end(m0);
      { TS_SCOPE_GUARD();
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      }
      C19_19:;
    }
  } else {
    rec(23, ts_scope_end(m1));
    (void)ts_numel(Kept);
  }
  for (int i25 = 0;;) {
    TS_SCOPE_GUARD();
    if (!(i25 < 3)) break;
    int i26 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      if (!(i26++ < 0)) break;
      obs(27);
      makeInCaller();
      { TS_SCOPE_GUARD();
        x += scoped_19_0(x);
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        obs(31);
      }
      C19_26:;
    }
    x += 1;
    C19_25: i25++;
  }
  for (int i33 = 0; i33 < 1; i33++) {
    for (int i34 = 0;;) {
      TS_SCOPE_GUARD();
      if (!(i34 < 2)) break;
      int i35 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        if (x > 22) { obs(36); return; }
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        C19_35: if (!(i35++ < 3)) break;
      }
      int i38 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        obs(39);
        C19_38: if (!(i38++ < 2)) break;
      }
      C19_34: i34++;
    }
    (void)ts_numel(Kept);
    m0 = ts_scope_begin();
  }
  obs(42);
}

static void test_20(void) {
  int x = 7;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  ts_scope_id m1 = 0;
  (void)m0;
  (void)m1;
  (void)ts_item(Kept);
  int i2 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    if (x > 35) { obs(3); return; }
    C20_2: if (!(i2++ < 1)) break;
  }
  int i4 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    if (x % 4 == 0) break;
    for (int i6 = 0; i6 < 1; i6++) {
      for (int i7 = 0;;) {
        TS_SCOPE_GUARD();
        if (!(i7 < 0)) break;
        if (x > 17) { obs(8); return; }
        if (x % 3 == 1) goto C20_7;
        C20_7: i7++;
      }
    }
    { TS_SCOPE_GUARD();
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
    }
    C20_4: if (!(i4++ < 1)) break;
  }
  obs(11);
}

static int scoped_21_0(int x) {
  TS_SCOPE_GUARD();
  rec(1, ts_scope_end(1));
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
static void test_21(void) {
  int x = 1;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  (void)m0;
  { TS_SCOPE_GUARD();
    int i2 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      x += 2;
      if (x % 3) {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        ts_scope_end(m0);
      } else {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        (void)ts_numel(Kept);
      }
      C21_2: if (!(i2++ < 0)) break;
    }
  }
  int i8 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    if (!(i8++ < 1)) break;
    int i9 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      if (!(i9++ < 0)) break;
      rec(10, ts_scope_end(1));
      C21_9:;
    }
    C21_8:;
  }
  obs(11);
}

static int scoped_22_0(int x) {
  TS_SCOPE_GUARD();
  if (x % 3 == 2) goto L22_1;
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
L22_1:;
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static int scoped_22_1(int x) {
  TS_SCOPE_GUARD();
  (void)ts_numel(Kept);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static void test_22(void) {
  int x = 1;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  (void)m0;
  obs(4);
  { TS_SCOPE_GUARD();
    for (int i5 = 0; i5 < 2; i5++) {
      if (x % 2 == 1) continue;
    }
    if (x % 2) {
      rec(7, endSaved(1));
    } else {
      { TS_SCOPE_GUARD();
        if (x % 3 == 1) goto L22_8;
      }
      m0 = beginHelper();
      int i10 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        if (!(i10++ < 0)) break;
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        if (x % 2 == 0) break;
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        C22_10:;
      }
    }
    x += scoped_22_0(x);
  }
L22_8: obs(15);
  for (int i16 = 0; i16 < 0; i16++) {
    if (x % 2) {
      (void)ts_numel(Kept);
      for (int i18 = 0;;) {
        TS_SCOPE_GUARD();
        if (!(i18 < 3)) break;
        rec(19, endStep(&tr));
        obs(20);
        obs(21);
        C22_18: i18++;
      }
    } else {
      switch (x % 3) {
      case 0:
        {
          ts_ones(TS_SHAPE(2), TS_FLOAT32);
          ts_ones(TS_SHAPE(2), TS_FLOAT32);
          rec(24, endHelper(m0));
        }
        break;
      default:;
      }
      if (x % 2) {
        (void)ts_item(Kept);
        rec(26, ts_scope_end(987654321));
        x += scoped_22_0(x);
      } else {
        m0 = ts_scope_begin();
      }
    }
  }
  rec(29, endStep(&tr));
  obs(30);
}

static int scoped_23_0(int x) {
  TS_SCOPE_GUARD();
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  rec(2, ts_scope_end(0));
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static int scoped_23_1(int x) {
  TS_SCOPE_GUARD();
  x += 7;
  x += 2;
  obs(5);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static void test_23(void) {
  int x = 5;
  trainer tr = {0, 0};
  (void)tr;
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  { TS_SCOPE_GUARD();
    obs(7);
    int i8 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      if (!(i8++ < 3)) break;
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      C23_8:;
    }
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
  }
  obs(11);
}

static int scoped_24_0(int x) {
  TS_SCOPE_GUARD();
  obs(1);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static int scoped_24_1(int x) {
  TS_SCOPE_GUARD();
  beginSaved(2);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
static void test_24(void) {
  int x = 1;
  trainer tr = {0, 0};
  (void)tr;
  x += scoped_24_0(x);
  (void)ts_numel(Kept);
  { TS_SCOPE_GUARD();
    obs(5);
  }
  (void)ts_numel(Kept);
  (void)ts_item(Kept);
  obs(8);
}

static int scoped_25_0(int x) {
  TS_SCOPE_GUARD();
  (void)ts_numel(Kept);
  rec(2, ts_scope_end(1));
  makeInCaller();
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
static void test_25(void) {
  int x = 7;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  (void)m0;
  if (x > 23) { obs(4); return; }
  (void)ts_numel(Kept);
  int i6 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    if (!(i6++ < 3)) break;
    rec(7, ts_scope_end(m0));
    rec(8, ts_scope_end(m0));
    rec(9, ts_scope_end(m0));
    C25_6:;
  }
  m0 = ts_scope_begin();
  {
    obs(11);
  }
  obs(12);
}

static void test_26(void) {
  int x = 3;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  ts_scope_id m1 = 0;
  (void)m0;
  (void)m1;
  { TS_SCOPE_GUARD();
    m1 = ts_scope_begin();
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    x += 3;
  }
  switch (x % 2) {
  case 0:
    {
      { TS_SCOPE_GUARD();
        { TS_SCOPE_GUARD();
          m1 = ts_scope_begin();
          (void)ts_numel(Kept);
        }
        if (x % 3 == 1) goto L26_6;
      }
    }
  case 2:
    {
      int i7 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        ts_scope_end(m1);
        rec(9, endSaved(3));
        x += 4;
        C26_7: if (!(i7++ < 2)) break;
      }
    }
    break;
  case 3:
    {
      m0 = ts_scope_begin();
      (void)ts_numel(Kept);
      { TS_SCOPE_GUARD();
        obs(13);
      }
      rec(11, ts_scope_end(m0));
      if (x % 3 == 1) goto L26_14;
    }
    break;
  default:;
  }
L26_6: obs(15);
L26_14: obs(16);
  if (x % 3 == 1) goto L26_17;
L26_17:;
  obs(18);
}

static int scoped_27_0(int x) {
  TS_SCOPE_GUARD();
  (void)ts_numel(Kept);
  (void)ts_numel(Kept);
  obs(3);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
static void test_27(void) {
  int x = 7;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  ts_scope_id m1 = 0;
  (void)m0;
  (void)m1;
  rec(4, endHelper(m1));
  { TS_SCOPE_GUARD();
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
  }
  for (int i6 = 0; i6 < 0; i6++) {
    (void)ts_numel(Kept);
  }
  obs(8);
}

static int scoped_28_0(int x) {
  TS_SCOPE_GUARD();
  rec(1, ts_scope_end(987654321));
  x += 7;
  if (x % 3 == 2) goto L28_3;
L28_3:;
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
static int scoped_28_1(int x) {
  TS_SCOPE_GUARD();
  obs(4);
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static void test_28(void) {
  int x = 0;
  trainer tr = {0, 0};
  (void)tr;
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  (void)ts_item(Kept);
  obs(9);
}

static void test_29(void) {
  int x = 9;
  trainer tr = {0, 0};
  (void)tr;
  (void)ts_item(Kept);
  obs(2);
  obs(3);
}

static int scoped_30_0(int x) {
  TS_SCOPE_GUARD();
  beginSaved(1);
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  (void)ts_item(Kept);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static int scoped_30_1(int x) {
  TS_SCOPE_GUARD();
  rec(4, ts_scope_end(987654321));
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
static void test_30(void) {
  int x = 0;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  ts_scope_id m1 = 0;
  (void)m0;
  (void)m1;
  (void)ts_item(Kept);
  for (int i6 = 0;;) {
    TS_SCOPE_GUARD();
    if (!(i6 < 1)) break;
    rec(7, endHelper(m0));
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    int i9 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      rec(10, endHelper(m0));
      { TS_SCOPE_GUARD();
        (void)ts_item(Kept);
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        obs(13);
      }
      C30_9: if (!(i9++ < 1)) break;
    }
    C30_6: i6++;
  }
  m0 = ts_scope_begin();
  obs(15);
  rec(14, ts_scope_end(m0));
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  obs(17);
}

static void test_31(void) {
  int x = 9;
  trainer tr = {0, 0};
  (void)tr;
  int i1 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    if (!(i1++ < 2)) break;
    if (x > 24) { obs(2); return; }
    x += 3;
    {
      int i4 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        rec(6, ts_scope_end(0));
        rec(7, endSaved(1));
        C31_4: if (!(i4++ < 3)) break;
      }
      x += 2;
    }
    C31_1:;
  }
  { TS_SCOPE_GUARD();
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    (void)ts_numel(Kept);
  }
  int i11 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    obs(13);
    C31_11: if (!(i11++ < 1)) break;
  }
  obs(14);
  obs(15);
}

static void test_32(void) {
  int x = 9;
  trainer tr = {0, 0};
  (void)tr;
  for (int i1 = 0;;) {
    TS_SCOPE_GUARD();
    if (!(i1 < 0)) break;
    (void)ts_numel(Kept);
    C32_1: i1++;
  }
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  switch (x % 2) {
  case 1:
    {
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
    }
  default:;
  }
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  obs(6);
}

static int scoped_33_0(int x) {
  TS_SCOPE_GUARD();
  rec(1, ts_scope_end(1));
  rec(2, endSaved(0));
  (void)ts_numel(Kept);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static void test_33(void) {
  int x = 3;
  trainer tr = {0, 0};
  (void)tr;
  int i4 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    { TS_SCOPE_GUARD();
      (void)ts_numel(Kept);
      for (int i6 = 0; i6 < 1; i6++) {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        rec(9, endStep(&tr));
      }
      int i10 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        if (!(i10++ < 0)) break;
        rec(11, ts_scope_end(0));
        (void)ts_numel(Kept);
        x += scoped_33_0(x);
        C33_10:;
      }
    }
    C33_4: if (!(i4++ < 2)) break;
  }
  { TS_SCOPE_GUARD();
    for (int i14 = 0;;) {
      TS_SCOPE_GUARD();
      if (!(i14 < 1)) break;
      obs(15);
      C33_14: i14++;
    }
  }
  obs(16);
}

static int scoped_34_0(int x) {
  TS_SCOPE_GUARD();
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  (void)ts_item(Kept);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
static void test_34(void) {
  int x = 2;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  ts_scope_id m1 = 0;
  (void)m0;
  (void)m1;
  (void)ts_numel(Kept);
  for (int i4 = 0;;) {
    TS_SCOPE_GUARD();
    if (!(i4 < 3)) break;
    x += 7;
    int i6 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      obs(7);
      if (x % 2) {
        obs(8);
        rec(9, ts_scope_end(m0));
        m1 = ts_scope_begin();
      } else {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        obs(12);
      }
      C34_6: if (!(i6++ < 0)) break;
    }
    C34_4: i4++;
  }
  makeInCaller();
  for (int i14 = 0;;) {
    TS_SCOPE_GUARD();
    if (!(i14 < 1)) break;
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    { TS_SCOPE_GUARD();
      m0 = ts_scope_begin();
      obs(17);
      rec(18, ts_scope_end(m0));
      rec(16, ts_scope_end(m0));
      { TS_SCOPE_GUARD();
        rec(19, endSaved(0));
        (void)ts_numel(Kept);
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      }
    }
    int i22 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      int i23 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        obs(24);
        ts_scope_end(m0);
        obs(26);
        C34_23: if (!(i23++ < 0)) break;
      }
      C34_22: if (!(i22++ < 1)) break;
    }
    C34_14: i14++;
  }
  obs(27);
}

static int scoped_35_0(int x) {
  TS_SCOPE_GUARD();
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
static void test_35(void) {
  int x = 4;
  trainer tr = {0, 0};
  (void)tr;
  (void)ts_numel(Kept);
  switch (x % 4) {
  case 0:
    {
      obs(3);
    }
  case 1:
    {
      x += 8;
      if (x % 2) {
        makeInCaller();
        { TS_SCOPE_GUARD();
          rec(6, ts_scope_end(0));
          rec(7, ts_scope_end(0));
          ts_ones(TS_SHAPE(2), TS_FLOAT32);
        }
        if (x % 3 == 0) goto L35_9;
      } else {
        {
          obs(10);
          obs(11);
          rec(12, ts_scope_end(987654321));
        }
        for (int i13 = 0; i13 < 0; i13++) {
          (void)ts_item(Kept);
          ts_ones(TS_SHAPE(2), TS_FLOAT32);
          rec(16, ts_scope_end(1));
        }
        for (int i17 = 0;;) {
          TS_SCOPE_GUARD();
          if (!(i17 < 1)) break;
          ts_ones(TS_SHAPE(2), TS_FLOAT32);
          (void)ts_numel(Kept);
          obs(20);
          C35_17: i17++;
        }
      }
    }
  case 3:
    {
      if (x % 3) {
        { TS_SCOPE_GUARD();
          ts_ones(TS_SHAPE(2), TS_FLOAT32);
          rec(22, ts_scope_end(987654321));
          obs(23);
        }
        obs(24);
      } else {
        switch (x % 2) {
        case 2:
          {
            obs(25);
            x += 5;
          }
          break;
        default:;
        }
      }
    }
  default:;
  }
L35_9: obs(27);
  obs(28);
}

static int scoped_36_0(int x) {
  TS_SCOPE_GUARD();
  rec(1, ts_scope_end(0));
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
static int scoped_36_1(int x) {
  TS_SCOPE_GUARD();
  if (x % 3 == 2) goto L36_2;
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  obs(4);
L36_2:;
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
static void test_36(void) {
  int x = 9;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  (void)m0;
  int i5 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    if (!(i5++ < 0)) break;
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    ts_scope_end(m0);
    C36_5:;
  }
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  int i9 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    if (!(i9++ < 2)) break;
    obs(10);
    C36_9:;
  }
  if (x % 3) {
    { TS_SCOPE_GUARD();
      x += 5;
      rec(12, ts_scope_end(m0));
    }
  } else {
    int i13 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      if (!(i13++ < 3)) break;
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      C36_13:;
    }
    { TS_SCOPE_GUARD();
      obs(15);
    }
    if (x % 2) {
      obs(16);
      {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        rec(18, ts_scope_end(m0));
      }
      rec(19, endSaved(3));
    } else {
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      rec(21, endHelper(m0));
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
    }
  }
  int i23 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    if (!(i23++ < 3)) break;
    beginStep(&tr);
    int i25 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      (void)ts_numel(Kept);
      C36_25: if (!(i25++ < 3)) break;
    }
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    C36_23:;
  }
  obs(29);
}

static void test_37(void) {
  int x = 3;
  trainer tr = {0, 0};
  (void)tr;
  (void)ts_item(Kept);
  { TS_SCOPE_GUARD();
    int i2 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      if (!(i2++ < 1)) break;
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      C37_2:;
    }
    obs(4);
    { TS_SCOPE_GUARD();
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      (void)ts_numel(Kept);
    }
  }
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  obs(8);
}

static int scoped_38_0(int x) {
  TS_SCOPE_GUARD();
  obs(1);
  obs(2);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static int scoped_38_1(int x) {
  TS_SCOPE_GUARD();
  obs(3);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static void test_38(void) {
  int x = 8;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  ts_scope_id m1 = 0;
  (void)m0;
  (void)m1;
  x += 5;
  int i5 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    if (!(i5++ < 3)) break;
    switch (x % 4) {
    case 1:
      {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        m1 = ts_scope_begin();
      }
      break;
    case 2:
      {
        ts_scope_end(m1);
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      }
    default:;
    }
    C38_5:;
  }
  obs(10);
  m0 = ts_scope_begin();
  int i12 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    int i13 = 0;
    for (;;) {
      TS_SCOPE_GUARD();
      if (x % 2) {
        (void)ts_numel(Kept);
      } else {
        makeInCaller();
      }
      switch (x % 3) {
      case 1:
        {
          x += 8;
        }
      case 2:
        {
          m1 = ts_scope_begin();
          (void)ts_numel(Kept);
        }
      default:;
      }
      C38_13: if (!(i13++ < 3)) break;
    }
    C38_12: if (!(i12++ < 0)) break;
  }
  obs(19);
}

static int scoped_39_0(int x) {
  TS_SCOPE_GUARD();
  rec(1, ts_scope_end(1));
  makeInCaller();
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
static int scoped_39_1(int x) {
  TS_SCOPE_GUARD();
  (void)ts_item(Kept);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
static void test_39(void) {
  int x = 6;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  ts_scope_id m1 = 0;
  (void)m0;
  (void)m1;
  if (x > 28) { obs(4); return; }
  m0 = ts_scope_begin();
  int i6 = 0;
  for (;;) {
    TS_SCOPE_GUARD();
    if (!(i6++ < 1)) break;
    { TS_SCOPE_GUARD();
      makeInCaller();
      rec(8, ts_scope_end(m0));
      ts_scope_end(m0);
    }
    switch (x % 4) {
    case 0:
      {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      }
      break;
    case 2:
      {
        obs(11);
      }
    case 3:
      {
        rec(12, ts_scope_end(m1));
        obs(13);
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      }
    default:;
    }
    C39_6:;
  }
  switch (x % 4) {
  case 0:
    {
      (void)ts_numel(Kept);
      rec(16, endStep(&tr));
      int i17 = 0;
      for (;;) {
        TS_SCOPE_GUARD();
        if (!(i17++ < 1)) break;
        makeInCaller();
        C39_17:;
      }
    }
  case 1:
    {
      obs(19);
    }
  default:;
  }
  { TS_SCOPE_GUARD();
    for (int i20 = 0;;) {
      TS_SCOPE_GUARD();
      if (!(i20 < 3)) break;
      x += scoped_39_0(x);
      x += 4;
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      C39_20: i20++;
    }
  }
  rec(5, ts_scope_end(m0));
  obs(24);
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
