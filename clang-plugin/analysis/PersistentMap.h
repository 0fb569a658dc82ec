//===- PersistentMap.h - Sorted maps that share their nodes -----*- C++ -*-===//
//
// The ownership dataflow keeps one state per CFG block, and a state maps
// every live variable and tensor. Copying those maps at each block and
// walking them whole at each join made the analysis quadratic in the size of
// a function (issue 20). A PMap is a persistent treap instead: a copy is a
// pointer; an update copies the O(log n) nodes on its path; and since a
// treap's shape depends only on its keys (each key's priority is a hash of
// it), two maps derived from one another share every subtree where they
// agree, so a union visits only where they differ.
//
// Nodes come from a Context, which frees them all with the analysis of the
// function. A node made since the last copy of any map of its Context (its
// Edit stamp is the Context's) belongs to one map only, which changes it in
// place: the updates a block makes to its state copy each path once.
//
//===----------------------------------------------------------------------===//
#ifndef TSMEM_CLANG_PLUGIN_PERSISTENTMAP_H
#define TSMEM_CLANG_PLUGIN_PERSISTENTMAP_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Allocator.h"

#include <cassert>
#include <cstdint>
#include <new>
#include <utility>

namespace tsmem {

/// A well-mixed hash: the treap's priority of a key.
inline unsigned mixBits(uint64_t X) {
  X ^= X >> 33;
  X *= 0xff51afd7ed558ccdULL;
  X ^= X >> 33;
  X *= 0xc4ceb9fe1a85ec53ULL;
  X ^= X >> 33;
  return static_cast<unsigned>(X);
}
inline unsigned treapPriority(unsigned K) { return mixBits(K); }
inline unsigned treapPriority(const void *K) {
  return mixBits(reinterpret_cast<uintptr_t>(K));
}
template <typename A, typename B>
unsigned treapPriority(const std::pair<A, B> &K) {
  return mixBits(uint64_t(treapPriority(K.first)) * 0x9e3779b97f4a7c15ULL +
                 treapPriority(K.second));
}

/// Counts what the maps of one analysis make, for its budget; and stamps
/// nodes with the current edit.
struct PMapClock {
  /// Bumped by every copy of a map: nodes stamped before are shared.
  unsigned Edit = 1;
  /// Nodes made so far, by all the maps on this clock.
  uint64_t Made = 0;
};

template <typename K, typename V> class PMap {
  struct Node {
    K Key;
    V Val;
    unsigned Prio;
    unsigned Edit; ///< 0: made by a union, never changed in place.
    Node *L;
    Node *R;
  };

public:
  class Context {
  public:
    explicit Context(PMapClock &Clock) : Clock(Clock) {}

  private:
    friend class PMap;
    PMapClock &Clock;
    llvm::SpecificBumpPtrAllocator<Node> Alloc;
  };

  PMap() = default;
  explicit PMap(Context &C) : Ctx(&C) {}
  PMap(const PMap &O) : Ctx(O.Ctx), Root(O.Root) { freeze(); }
  PMap &operator=(const PMap &O) {
    Ctx = O.Ctx;
    Root = O.Root;
    freeze();
    return *this;
  }
  PMap(PMap &&O) = default;
  PMap &operator=(PMap &&O) = default;

  bool empty() const { return !Root; }
  void clear() { Root = nullptr; }

  const V *find(const K &Key) const {
    for (Node *N = Root; N;) {
      if (Key < N->Key)
        N = N->L;
      else if (N->Key < Key)
        N = N->R;
      else
        return &N->Val;
    }
    return nullptr;
  }
  bool count(const K &Key) const { return find(Key) != nullptr; }

  /// The value of Key, to change in place (null when absent).
  V *findMut(const K &Key) {
    if (!find(Key))
      return nullptr;
    Node **Link = &Root;
    while (true) {
      Node *N = own(*Link);
      *Link = N;
      if (Key < N->Key)
        Link = &N->L;
      else if (N->Key < Key)
        Link = &N->R;
      else
        return &N->Val;
    }
  }

  /// Inserts Key or replaces its value.
  void set(const K &Key, const V &Val) {
    Root = insert(Root, Key, Val, treapPriority(Key));
  }

  /// Whether Key was there.
  bool erase(const K &Key) {
    bool Found = false;
    Root = remove(Root, Key, Found);
    return Found;
  }

  /// Fn(Key, Value) for every entry, in key order.
  template <typename F> void forEach(F Fn) const {
    llvm::SmallVector<Node *, 64> Stack;
    for (Node *T = Root; T; T = T->L)
      Stack.push_back(T);
    while (!Stack.empty()) {
      Node *N = Stack.pop_back_val();
      Fn(N->Key, N->Val);
      for (Node *T = N->R; T; T = T->L)
        Stack.push_back(T);
    }
  }

  /// Fn(Key, Value) for the entries from Lo on, in key order, until Fn
  /// returns false.
  template <typename F> void forEachFrom(const K &Lo, F Fn) const {
    llvm::SmallVector<Node *, 64> Stack;
    for (Node *T = Root; T;) {
      if (T->Key < Lo) {
        T = T->R;
      } else {
        Stack.push_back(T);
        T = T->L;
      }
    }
    while (!Stack.empty()) {
      Node *N = Stack.pop_back_val();
      if (!Fn(N->Key, N->Val))
        return;
      for (Node *T = N->R; T; T = T->L)
        Stack.push_back(T);
    }
  }

  /// Fn(Key, Value here or null, Value in O or null) for the keys where the
  /// two maps may differ, in key order, until Fn returns false: subtrees
  /// the maps share are skipped, so maps derived from one another cost what
  /// differs (a key in both may come with equal values). Allocates no node
  /// of the Context (the budget does not see it).
  template <typename F> void diff(const PMap &O, F Fn) const {
    llvm::SpecificBumpPtrAllocator<Node> Scratch;
    diffRec(Root, O.Root, Fn, Scratch);
  }

  /// Adds Src's entries: a key only there is copied, a key in both gets
  /// Merge(Value here, Value there), which returns whether it changed the
  /// value here. Returns whether this map changed (a new key counts).
  template <typename M> bool unionWith(const PMap &Src, M &&Merge) {
    if (!Ctx)
      Ctx = Src.Ctx;
    freeze();
    bool Changed = false;
    Root = unite(Root, Src.Root, Merge, Changed);
    return Changed;
  }

private:
  void freeze() {
    if (Ctx)
      ++Ctx->Clock.Edit;
  }

  Node *make(const K &Key, const V &Val, unsigned Prio, Node *L, Node *R,
             unsigned Edit) {
    ++Ctx->Clock.Made;
    Node *N = Ctx->Alloc.Allocate();
    return new (N) Node{Key, Val, Prio, Edit, L, R};
  }
  /// N, or a copy of it that this map alone holds.
  Node *own(Node *N) {
    if (N->Edit == Ctx->Clock.Edit)
      return N;
    return make(N->Key, N->Val, N->Prio, N->L, N->R, Ctx->Clock.Edit);
  }
  Node *frozenCopy(Node *N) {
    return make(N->Key, N->Val, N->Prio, N->L, N->R, 0);
  }

  /// Does a node of priority PA and key KA sit above one of PB and KB?
  static bool above(unsigned PA, const K &KA, unsigned PB, const K &KB) {
    return PA > PB || (PA == PB && KA < KB);
  }

  /// T's keys below Key in L, above in R; Eq the node of Key, if any. The
  /// nodes split are copied, Owned: for this map to change in place.
  void split(Node *T, const K &Key, Node *&L, Node *&Eq, Node *&R, bool Owned) {
    if (!T) {
      L = Eq = R = nullptr;
      return;
    }
    if (Key < T->Key) {
      Node *Mid;
      split(T->L, Key, L, Eq, Mid, Owned);
      if (Mid == T->L) {
        R = T;
        return;
      }
      R = Owned ? own(T) : frozenCopy(T);
      R->L = Mid;
    } else if (T->Key < Key) {
      Node *Mid;
      split(T->R, Key, Mid, Eq, R, Owned);
      if (Mid == T->R) {
        L = T;
        return;
      }
      L = Owned ? own(T) : frozenCopy(T);
      L->R = Mid;
    } else {
      L = T->L;
      Eq = T;
      R = T->R;
    }
  }

  Node *insert(Node *T, const K &Key, const V &Val, unsigned Prio) {
    if (!T || above(Prio, Key, T->Prio, T->Key)) {
      Node *L, *Eq, *R;
      split(T, Key, L, Eq, R, /*Owned=*/true);
      assert(!Eq && "a key sits where its priority puts it");
      return make(Key, Val, Prio, L, R, Ctx->Clock.Edit);
    }
    Node *N = own(T);
    if (Key < N->Key)
      N->L = insert(N->L, Key, Val, Prio);
    else if (N->Key < Key)
      N->R = insert(N->R, Key, Val, Prio);
    else
      N->Val = Val;
    return N;
  }

  /// A and B's nodes, all of A's keys below B's.
  Node *join2(Node *A, Node *B) {
    if (!A)
      return B;
    if (!B)
      return A;
    if (above(A->Prio, A->Key, B->Prio, B->Key)) {
      Node *N = own(A);
      N->R = join2(N->R, B);
      return N;
    }
    Node *N = own(B);
    N->L = join2(A, N->L);
    return N;
  }

  Node *remove(Node *T, const K &Key, bool &Found) {
    if (!T)
      return nullptr;
    if (Key < T->Key || T->Key < Key) {
      bool Left = Key < T->Key;
      Node *Kid = remove(Left ? T->L : T->R, Key, Found);
      if (!Found)
        return T;
      Node *N = own(T);
      (Left ? N->L : N->R) = Kid;
      return N;
    }
    Found = true;
    return join2(T->L, T->R);
  }

  /// T's keys below Key in L, above in R, Eq Key's node: as split(), with
  /// the nodes copied in Scratch.
  static void scratchSplit(Node *T, const K &Key, Node *&L, Node *&Eq, Node *&R,
                           llvm::SpecificBumpPtrAllocator<Node> &Scratch) {
    if (!T) {
      L = Eq = R = nullptr;
      return;
    }
    if (Key < T->Key) {
      Node *Mid;
      scratchSplit(T->L, Key, L, Eq, Mid, Scratch);
      if (Mid == T->L) {
        R = T;
        return;
      }
      R = new (Scratch.Allocate()) Node(*T);
      R->L = Mid;
    } else if (T->Key < Key) {
      Node *Mid;
      scratchSplit(T->R, Key, Mid, Eq, R, Scratch);
      if (Mid == T->R) {
        L = T;
        return;
      }
      L = new (Scratch.Allocate()) Node(*T);
      L->R = Mid;
    } else {
      L = T->L;
      Eq = T;
      R = T->R;
    }
  }

  /// Fn on every entry of T, A's side (Left) or B's; false when Fn stopped.
  template <typename F> static bool diffAll(Node *T, bool Left, F &Fn) {
    for (; T; T = T->R) {
      if (!diffAll(T->L, Left, Fn))
        return false;
      if (!(Left ? Fn(T->Key, &T->Val, nullptr) : Fn(T->Key, nullptr, &T->Val)))
        return false;
    }
    return true;
  }

  template <typename F>
  static bool diffRec(Node *A, Node *B, F &Fn,
                      llvm::SpecificBumpPtrAllocator<Node> &Scratch) {
    if (A == B)
      return true;
    if (!A)
      return diffAll(B, false, Fn);
    if (!B)
      return diffAll(A, true, Fn);
    if (!(A->Key < B->Key) && !(B->Key < A->Key))
      return diffRec(A->L, B->L, Fn, Scratch) && Fn(A->Key, &A->Val, &B->Val) &&
             diffRec(A->R, B->R, Fn, Scratch);
    if (above(A->Prio, A->Key, B->Prio, B->Key)) {
      // A's top key sits above all of B's.
      Node *BL, *BEq, *BR;
      scratchSplit(B, A->Key, BL, BEq, BR, Scratch);
      return diffRec(A->L, BL, Fn, Scratch) &&
             Fn(A->Key, &A->Val, BEq ? &BEq->Val : nullptr) &&
             diffRec(A->R, BR, Fn, Scratch);
    }
    Node *AL, *AEq, *AR;
    scratchSplit(A, B->Key, AL, AEq, AR, Scratch);
    return diffRec(AL, B->L, Fn, Scratch) &&
           Fn(B->Key, AEq ? &AEq->Val : nullptr, &B->Val) &&
           diffRec(AR, B->R, Fn, Scratch);
  }

  template <typename M> Node *unite(Node *A, Node *B, M &Merge, bool &Changed) {
    if (A == B || !B)
      return A;
    if (!A) {
      Changed = true;
      return B;
    }
    if (!above(B->Prio, B->Key, A->Prio, A->Key)) {
      // A's top key stays on top (B may hold it too).
      Node *BL, *BEq, *BR;
      split(B, A->Key, BL, BEq, BR, /*Owned=*/false);
      Node *L = unite(A->L, BL, Merge, Changed);
      Node *R = unite(A->R, BR, Merge, Changed);
      if (BEq) {
        // B's top key, then (no key of B sits above it): when the union is
        // B, B's nodes serve, so that later unions with maps made from B
        // find them the same.
        V Val = A->Val;
        bool ValChanged = Merge(Val, BEq->Val);
        Changed |= ValChanged;
        if (L == BEq->L && R == BEq->R && Val == BEq->Val)
          return BEq;
        if (ValChanged)
          return make(A->Key, Val, A->Prio, L, R, 0);
      }
      if (L == A->L && R == A->R)
        return A;
      Node *N = frozenCopy(A);
      N->L = L;
      N->R = R;
      return N;
    }
    // B's top key is above all of A's, so not among them: a new key.
    Node *AL, *AEq, *AR;
    split(A, B->Key, AL, AEq, AR, /*Owned=*/false);
    assert(!AEq && "a key sits where its priority puts it");
    Changed = true;
    Node *L = unite(AL, B->L, Merge, Changed);
    Node *R = unite(AR, B->R, Merge, Changed);
    if (L == B->L && R == B->R)
      return B;
    Node *N = frozenCopy(B);
    N->L = L;
    N->R = R;
    return N;
  }

  Context *Ctx = nullptr;
  Node *Root = nullptr;
};

} // namespace tsmem

#endif // TSMEM_CLANG_PLUGIN_PERSISTENTMAP_H
