/* gen.py 2 40: the plugin's side */
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
  TS_SCOPE {
    TS_SCOPE {
      int i4 = 0;
      TS_SCOPE do {
        obs(5);
        rec(6, ts_scope_end(1));
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      } while (i4++ < 2);
      obs(8);
    }
    int i9 = 0;
    TS_SCOPE while (i9++ < 3) {
      rec(10, ts_scope_end(0));
      (void)ts_numel(Kept);
      (void)ts_numel(Kept);
    }
    (void)ts_numel(Kept);
  }
  rec(14, ts_scope_end(987654321));
  obs(15);
}

TS_SCOPED static int scoped_1_0(int x) {
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
  TS_SCOPE while (i4++ < 3) {
    int i5 = 0;
    TS_SCOPE do {
      int i6 = 0;
      TS_SCOPE while (i6++ < 2) {
        m1 = ts_scope_begin();
        beginStep(&tr);
      }
      int i9 = 0;
      TS_SCOPE do {
        rec(10, endStep(&tr));
        obs(11);
      } while (i9++ < 3);
      TS_SCOPE {
        (void)ts_item(Kept);
        if (x > 35) { obs(13); return; }
        makeInCaller();
      }
    } while (i5++ < 3);
  }
  x += scoped_1_0(x);
  if (x % 3 == 0) goto L1_16;
L1_16: obs(17);
  int i18 = 0;
  TS_SCOPE do {
    TS_SCOPE {
      TS_SCOPE {
        rec(19, ts_scope_end(m0));
      }
    }
    int i20 = 0;
    TS_SCOPE do {
      (void)ts_item(Kept);
      (void)ts_numel(Kept);
      obs(23);
    } while (i20++ < 0);
  } while (i18++ < 0);
  obs(24);
}

TS_SCOPED static int scoped_2_0(int x) {
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
TS_SCOPED static int scoped_2_1(int x) {
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

TS_SCOPED static int scoped_3_0(int x) {
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
  TS_SCOPE {
    switch (x % 4) {
    case 0:
      {
        TS_SCOPE {
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
        TS_SCOPE while (i7++ < 2) {
          obs(8);
        }
      }
      break;
    case 1:
      {
        int i9 = 0;
        TS_SCOPE do {
          rec(10, ts_scope_end(0));
          rec(11, endStep(&tr));
          (void)ts_item(Kept);
        } while (i9++ < 0);
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

TS_SCOPED static int scoped_5_0(int x) {
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  (void)ts_item(Kept);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
TS_SCOPED static int scoped_5_1(int x) {
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
  TS_SCOPE do {
    if (x % 2) {
      int i13 = 0;
      TS_SCOPE do {
        rec(14, ts_scope_end(m0));
        m0 = ts_scope_begin();
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      } while (i13++ < 0);
      switch (x % 3) {
      case 0:
        {
          obs(17);
          makeInCaller();
          m1 = beginHelper();
        }
      default:;
      }
      TS_SCOPE for (int i20 = 0; i20 < 0; i20++) {
        (void)ts_numel(Kept);
        if (x > 6) { obs(22); return; }
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
  } while (i12++ < 3);
  makeInCaller();
  obs(26);
}

TS_SCOPED static int scoped_6_0(int x) {
  (void)ts_numel(Kept);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
TS_SCOPED static int scoped_6_1(int x) {
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
  TS_SCOPE for (int i8 = 0; i8 < 0; i8++) {
    m0 = ts_scope_begin();
    if (x % 3) {
      obs(10);
      x += 3;
    } else {
      (void)ts_item(Kept);
      x += 8;
    }
    rec(9, ts_scope_end(m0));
  }
  obs(14);
}

TS_SCOPED static int scoped_7_0(int x) {
  obs(1);
  x += 5;
  obs(3);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
TS_SCOPED static int scoped_7_1(int x) {
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

TS_SCOPED static int scoped_8_0(int x) {
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
  TS_SCOPE {
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    m1 = ts_scope_begin();
    obs(6);
  }
  obs(7);
}

TS_SCOPED static int scoped_9_0(int x) {
  if (x % 3 == 2) goto L9_1;
L9_1:;
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
TS_SCOPED static int scoped_9_1(int x) {
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
  TS_SCOPE do {
    if (x % 2 == 0) break;
    int i6 = 0;
    TS_SCOPE while (i6++ < 2) {
      int i7 = 0;
      TS_SCOPE do {
        rec(8, ts_scope_end(m1));
        if (x % 3 == 2) goto L9_9;
      } while (i7++ < 3);
      if (x > 19) { obs(10); return; }
      for (int i11 = 0; i11 < 3; i11++) {
        obs(12);
        beginSaved(0);
        x += 8;
      }
    }
    TS_SCOPE {
      obs(15);
    }
  } while (i4++ < 0);
  {
    obs(16);
  }
  if (x % 3 == 2) goto L9_17;
  for (int i18 = 0; i18 < 0; i18++) {
    int i19 = 0;
    TS_SCOPE while (i19++ < 2) {
      TS_SCOPE {
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
    }
    int i29 = 0;
    TS_SCOPE while (i29++ < 2) {
      makeInCaller();
    }
    TS_SCOPE for (int i31 = 0; i31 < 2; i31++) {
      int i32 = 0;
      TS_SCOPE do {
        m1 = beginHelper();
      } while (i32++ < 3);
    }
  }
L9_9:;
L9_17:;
  obs(34);
}

TS_SCOPED static int scoped_10_0(int x) {
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
  TS_SCOPE do {
    m0 = ts_scope_begin();
    rec(6, ts_scope_end(m0));
    TS_SCOPE {
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
  } while (i4++ < 3);
  int i13 = 0;
  TS_SCOPE while (i13++ < 1) {
    for (int i14 = 0; i14 < 2; i14++) {
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      x += 4;
    }
    m0 = ts_scope_begin();
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    rec(17, ts_scope_end(m0));
    (void)ts_numel(Kept);
  }
  rec(20, ts_scope_end(m0));
  int i21 = 0;
  TS_SCOPE while (i21++ < 2) {
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
  TS_SCOPE for (int i1 = 0; i1 < 3; i1++) {
    x += 3;
    obs(3);
    x += 2;
  }
  (void)ts_numel(Kept);
  obs(6);
}

TS_SCOPED static int scoped_12_0(int x) {
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
  TS_SCOPE do {
    rec(5, endSaved(0));
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
  } while (i4++ < 0);
  int i7 = 0;
  TS_SCOPE while (i7++ < 1) {
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
  }
  for (int i17 = 0; i17 < 0; i17++) {
    TS_SCOPE {
      makeInCaller();
    }
    if (x % 2) {
      beginStep(&tr);
      (void)ts_numel(Kept);
    } else {
      obs(21);
    }
    TS_SCOPE {
      TS_SCOPE for (int i22 = 0; i22 < 3; i22++) {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      }
      TS_SCOPE {
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
  TS_SCOPE do {
    x += 1;
  } while (i1++ < 1);
  rec(3, ts_scope_end(0));
  obs(4);
}

static void test_14(void) {
  int x = 7;
  trainer tr = {0, 0};
  (void)tr;
  rec(1, ts_scope_end(0));
  int i2 = 0;
  TS_SCOPE while (i2++ < 3) {
    switch (x % 4) {
    case 0:
      {
        TS_SCOPE for (int i3 = 0; i3 < 3; i3++) {
          makeInCaller();
        }
      }
      break;
    default:;
    }
    TS_SCOPE {
      obs(5);
      makeInCaller();
    }
    rec(7, ts_scope_end(0));
  }
  int i8 = 0;
  TS_SCOPE while (i8++ < 3) {
    obs(9);
    TS_SCOPE {
      if (x % 2) {
        rec(10, ts_scope_end(987654321));
      } else {
        (void)ts_numel(Kept);
      }
      obs(12);
      TS_SCOPE {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        beginSaved(0);
        if (x % 4 == 0) break;
      }
    }
  }
  obs(16);
}

TS_SCOPED static int scoped_15_0(int x) {
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
TS_SCOPED static int scoped_15_1(int x) {
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  if (x % 3 == 0) goto L15_3;
L15_3:;
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
static void test_15(void) {
  int x = 8;
  trainer tr = {0, 0};
  (void)tr;
  TS_SCOPE {
    {
      obs(4);
    }
    int i5 = 0;
    TS_SCOPE do {
      rec(6, endStep(&tr));
      int i7 = 0;
      TS_SCOPE do {
        x += scoped_15_1(x);
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        (void)ts_numel(Kept);
      } while (i7++ < 0);
    } while (i5++ < 0);
    obs(11);
  }
  rec(12, ts_scope_end(987654321));
  rec(13, ts_scope_end(987654321));
  obs(14);
}

TS_SCOPED static int scoped_16_0(int x) {
  obs(1);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
TS_SCOPED static int scoped_16_1(int x) {
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
  TS_SCOPE {
    TS_SCOPE for (int i5 = 0; i5 < 3; i5++) {
      makeInCaller();
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      ts_scope_end(m0);
    }
    for (int i9 = 0; i9 < 2; i9++) {
      TS_SCOPE for (int i10 = 0; i10 < 0; i10++) {
        (void)ts_numel(Kept);
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

TS_SCOPED static int scoped_17_0(int x) {
  rec(1, ts_scope_end(0));
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
TS_SCOPED static int scoped_17_1(int x) {
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
  TS_SCOPE while (i6++ < 1) {
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
  }
  switch (x % 2) {
  case 0:
    {
      TS_SCOPE for (int i8 = 0; i8 < 2; i8++) {
        m0 = ts_scope_begin();
      }
      switch (x % 4) {
      case 3:
        {
          int i10 = 0;
          TS_SCOPE while (i10++ < 0) {
            x += 1;
          }
          rec(12, endStep(&tr));
          obs(13);
        }
      default:;
      }
      TS_SCOPE {
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
      TS_SCOPE while (i21++ < 2) {
        m0 = ts_scope_begin();
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
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
  TS_SCOPE do {
    switch (x % 4) {
    case 0:
      {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      }
      break;
    case 3:
      {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        TS_SCOPE {
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
  } while (i1++ < 1);
  TS_SCOPE {
    int i9 = 0;
    TS_SCOPE do {
      TS_SCOPE for (int i10 = 0; i10 < 3; i10++) {
        (void)ts_item(Kept);
        if (x > 19) { obs(12); return; }
      }
      if (x % 3 == 2) goto L18_13;
    } while (i9++ < 2);
  }
L18_13:;
  obs(14);
}

TS_SCOPED static int scoped_19_0(int x) {
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
  TS_SCOPE for (int i4 = 0; i4 < 3; i4++) {
    int i5 = 0;
    TS_SCOPE do {
      rec(6, ts_scope_end(m0));
      if (x % 3 == 1) goto L19_7;
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
    } while (i5++ < 3);
    m0 = ts_scope_begin();
    m1 = ts_scope_begin();
    obs(11);
    rec(10, ts_scope_end(m1));
    int i12 = 0;
    TS_SCOPE do {
      if (x % 3 == 1) continue;
    } while (i12++ < 3);
    TS_SCOPE for (int i14 = 0; i14 < 1; i14++) {
      rec(15, endStep(&tr));
    }
    rec(9, ts_scope_end(m0));
    obs(16);
  }
L19_7: obs(17);
  if (x % 2) {
    obs(18);
    int i19 = 0;
    TS_SCOPE while (i19++ < 2) {
      rec(20, endStep(&tr));
      ts_scope_end(m0);
      TS_SCOPE {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      }
    }
  } else {
    rec(23, ts_scope_end(m1));
    (void)ts_numel(Kept);
  }
  TS_SCOPE for (int i25 = 0; i25 < 3; i25++) {
    int i26 = 0;
    TS_SCOPE while (i26++ < 0) {
      obs(27);
      makeInCaller();
      TS_SCOPE {
        x += scoped_19_0(x);
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        obs(31);
      }
    }
    x += 1;
  }
  for (int i33 = 0; i33 < 1; i33++) {
    TS_SCOPE for (int i34 = 0; i34 < 2; i34++) {
      int i35 = 0;
      TS_SCOPE do {
        if (x > 22) { obs(36); return; }
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      } while (i35++ < 3);
      int i38 = 0;
      TS_SCOPE do {
        obs(39);
      } while (i38++ < 2);
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
  TS_SCOPE do {
    if (x > 35) { obs(3); return; }
  } while (i2++ < 1);
  int i4 = 0;
  TS_SCOPE do {
    if (x % 4 == 0) break;
    for (int i6 = 0; i6 < 1; i6++) {
      TS_SCOPE for (int i7 = 0; i7 < 0; i7++) {
        if (x > 17) { obs(8); return; }
        if (x % 3 == 1) continue;
      }
    }
    TS_SCOPE {
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
    }
  } while (i4++ < 1);
  obs(11);
}

TS_SCOPED static int scoped_21_0(int x) {
  rec(1, ts_scope_end(1));
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
static void test_21(void) {
  int x = 1;
  trainer tr = {0, 0};
  (void)tr;
  ts_scope_id m0 = 0;
  (void)m0;
  TS_SCOPE {
    int i2 = 0;
    TS_SCOPE do {
      x += 2;
      if (x % 3) {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        ts_scope_end(m0);
      } else {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        (void)ts_numel(Kept);
      }
    } while (i2++ < 0);
  }
  int i8 = 0;
  TS_SCOPE while (i8++ < 1) {
    int i9 = 0;
    TS_SCOPE while (i9++ < 0) {
      rec(10, ts_scope_end(1));
    }
  }
  obs(11);
}

TS_SCOPED static int scoped_22_0(int x) {
  if (x % 3 == 2) goto L22_1;
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
L22_1:;
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
TS_SCOPED static int scoped_22_1(int x) {
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
  TS_SCOPE {
    for (int i5 = 0; i5 < 2; i5++) {
      if (x % 2 == 1) continue;
    }
    if (x % 2) {
      rec(7, endSaved(1));
    } else {
      TS_SCOPE {
        if (x % 3 == 1) goto L22_8;
      }
      m0 = beginHelper();
      int i10 = 0;
      TS_SCOPE while (i10++ < 0) {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        if (x % 2 == 0) break;
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      }
    }
    x += scoped_22_0(x);
  }
L22_8: obs(15);
  for (int i16 = 0; i16 < 0; i16++) {
    if (x % 2) {
      (void)ts_numel(Kept);
      TS_SCOPE for (int i18 = 0; i18 < 3; i18++) {
        rec(19, endStep(&tr));
        obs(20);
        obs(21);
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

TS_SCOPED static int scoped_23_0(int x) {
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  rec(2, ts_scope_end(0));
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
TS_SCOPED static int scoped_23_1(int x) {
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
  TS_SCOPE {
    obs(7);
    int i8 = 0;
    TS_SCOPE while (i8++ < 3) {
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
    }
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
  }
  obs(11);
}

TS_SCOPED static int scoped_24_0(int x) {
  obs(1);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
TS_SCOPED static int scoped_24_1(int x) {
  beginSaved(2);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
static void test_24(void) {
  int x = 1;
  trainer tr = {0, 0};
  (void)tr;
  x += scoped_24_0(x);
  (void)ts_numel(Kept);
  TS_SCOPE {
    obs(5);
  }
  (void)ts_numel(Kept);
  (void)ts_item(Kept);
  obs(8);
}

TS_SCOPED static int scoped_25_0(int x) {
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
  TS_SCOPE while (i6++ < 3) {
    rec(7, ts_scope_end(m0));
    rec(8, ts_scope_end(m0));
    rec(9, ts_scope_end(m0));
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
  TS_SCOPE {
    m1 = ts_scope_begin();
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    x += 3;
  }
  switch (x % 2) {
  case 0:
    {
      TS_SCOPE {
        TS_SCOPE {
          m1 = ts_scope_begin();
          (void)ts_numel(Kept);
        }
        if (x % 3 == 1) goto L26_6;
      }
    }
  case 2:
    {
      int i7 = 0;
      TS_SCOPE do {
        ts_scope_end(m1);
        rec(9, endSaved(3));
        x += 4;
      } while (i7++ < 2);
    }
    break;
  case 3:
    {
      m0 = ts_scope_begin();
      (void)ts_numel(Kept);
      TS_SCOPE {
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

TS_SCOPED static int scoped_27_0(int x) {
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
  TS_SCOPE {
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
  }
  for (int i6 = 0; i6 < 0; i6++) {
    (void)ts_numel(Kept);
  }
  obs(8);
}

TS_SCOPED static int scoped_28_0(int x) {
  rec(1, ts_scope_end(987654321));
  x += 7;
  if (x % 3 == 2) goto L28_3;
L28_3:;
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
TS_SCOPED static int scoped_28_1(int x) {
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

TS_SCOPED static int scoped_30_0(int x) {
  beginSaved(1);
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  (void)ts_item(Kept);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
TS_SCOPED static int scoped_30_1(int x) {
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
  TS_SCOPE for (int i6 = 0; i6 < 1; i6++) {
    rec(7, endHelper(m0));
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    int i9 = 0;
    TS_SCOPE do {
      rec(10, endHelper(m0));
      TS_SCOPE {
        (void)ts_item(Kept);
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        obs(13);
      }
    } while (i9++ < 1);
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
  TS_SCOPE while (i1++ < 2) {
    if (x > 24) { obs(2); return; }
    x += 3;
    {
      int i4 = 0;
      TS_SCOPE do {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        rec(6, ts_scope_end(0));
        rec(7, endSaved(1));
      } while (i4++ < 3);
      x += 2;
    }
  }
  TS_SCOPE {
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    (void)ts_numel(Kept);
  }
  int i11 = 0;
  TS_SCOPE do {
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    obs(13);
  } while (i11++ < 1);
  obs(14);
  obs(15);
}

static void test_32(void) {
  int x = 9;
  trainer tr = {0, 0};
  (void)tr;
  TS_SCOPE for (int i1 = 0; i1 < 0; i1++) {
    (void)ts_numel(Kept);
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

TS_SCOPED static int scoped_33_0(int x) {
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
  TS_SCOPE do {
    TS_SCOPE {
      (void)ts_numel(Kept);
      for (int i6 = 0; i6 < 1; i6++) {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        rec(9, endStep(&tr));
      }
      int i10 = 0;
      TS_SCOPE while (i10++ < 0) {
        rec(11, ts_scope_end(0));
        (void)ts_numel(Kept);
        x += scoped_33_0(x);
      }
    }
  } while (i4++ < 2);
  TS_SCOPE {
    TS_SCOPE for (int i14 = 0; i14 < 1; i14++) {
      obs(15);
    }
  }
  obs(16);
}

TS_SCOPED static int scoped_34_0(int x) {
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
  TS_SCOPE for (int i4 = 0; i4 < 3; i4++) {
    x += 7;
    int i6 = 0;
    TS_SCOPE do {
      obs(7);
      if (x % 2) {
        obs(8);
        rec(9, ts_scope_end(m0));
        m1 = ts_scope_begin();
      } else {
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
        obs(12);
      }
    } while (i6++ < 0);
  }
  makeInCaller();
  TS_SCOPE for (int i14 = 0; i14 < 1; i14++) {
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    TS_SCOPE {
      m0 = ts_scope_begin();
      obs(17);
      rec(18, ts_scope_end(m0));
      rec(16, ts_scope_end(m0));
      TS_SCOPE {
        rec(19, endSaved(0));
        (void)ts_numel(Kept);
        ts_ones(TS_SHAPE(2), TS_FLOAT32);
      }
    }
    int i22 = 0;
    TS_SCOPE do {
      int i23 = 0;
      TS_SCOPE do {
        obs(24);
        ts_scope_end(m0);
        obs(26);
      } while (i23++ < 0);
    } while (i22++ < 1);
  }
  obs(27);
}

TS_SCOPED static int scoped_35_0(int x) {
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
        TS_SCOPE {
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
        TS_SCOPE for (int i17 = 0; i17 < 1; i17++) {
          ts_ones(TS_SHAPE(2), TS_FLOAT32);
          (void)ts_numel(Kept);
          obs(20);
        }
      }
    }
  case 3:
    {
      if (x % 3) {
        TS_SCOPE {
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

TS_SCOPED static int scoped_36_0(int x) {
  rec(1, ts_scope_end(0));
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(3), TS_FLOAT32));
}
TS_SCOPED static int scoped_36_1(int x) {
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
  TS_SCOPE while (i5++ < 0) {
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
    ts_scope_end(m0);
  }
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  int i9 = 0;
  TS_SCOPE while (i9++ < 2) {
    obs(10);
  }
  if (x % 3) {
    TS_SCOPE {
      x += 5;
      rec(12, ts_scope_end(m0));
    }
  } else {
    int i13 = 0;
    TS_SCOPE while (i13++ < 3) {
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
    }
    TS_SCOPE {
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
  TS_SCOPE while (i23++ < 3) {
    beginStep(&tr);
    int i25 = 0;
    TS_SCOPE do {
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      (void)ts_numel(Kept);
    } while (i25++ < 3);
    ts_ones(TS_SHAPE(2), TS_FLOAT32);
  }
  obs(29);
}

static void test_37(void) {
  int x = 3;
  trainer tr = {0, 0};
  (void)tr;
  (void)ts_item(Kept);
  TS_SCOPE {
    int i2 = 0;
    TS_SCOPE while (i2++ < 1) {
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
    }
    obs(4);
    TS_SCOPE {
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
      (void)ts_numel(Kept);
    }
  }
  ts_ones(TS_SHAPE(2), TS_FLOAT32);
  obs(8);
}

TS_SCOPED static int scoped_38_0(int x) {
  obs(1);
  obs(2);
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(1), TS_FLOAT32));
}
TS_SCOPED static int scoped_38_1(int x) {
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
  TS_SCOPE while (i5++ < 3) {
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
  }
  obs(10);
  m0 = ts_scope_begin();
  int i12 = 0;
  TS_SCOPE do {
    int i13 = 0;
    TS_SCOPE do {
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
    } while (i13++ < 3);
  } while (i12++ < 0);
  obs(19);
}

TS_SCOPED static int scoped_39_0(int x) {
  rec(1, ts_scope_end(1));
  makeInCaller();
  return x % 7 + (int)ts_numel(ts_ones(TS_SHAPE(2), TS_FLOAT32));
}
TS_SCOPED static int scoped_39_1(int x) {
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
  TS_SCOPE while (i6++ < 1) {
    TS_SCOPE {
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
  }
  switch (x % 4) {
  case 0:
    {
      (void)ts_numel(Kept);
      rec(16, endStep(&tr));
      int i17 = 0;
      TS_SCOPE while (i17++ < 1) {
        makeInCaller();
      }
    }
  case 1:
    {
      obs(19);
    }
  default:;
  }
  TS_SCOPE {
    TS_SCOPE for (int i20 = 0; i20 < 3; i20++) {
      x += scoped_39_0(x);
      x += 4;
      ts_ones(TS_SHAPE(2), TS_FLOAT32);
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
