// Broadcasting for elementwise ops with TensorFlow Lite's rules, for any
// number of inputs up to kMaxBroadcastRank dimensions. Framework-free.
//
// Usage (two inputs; three work the same way with BroadcastTernary):
//   Shape out;
//   if (!BroadcastShapes(a.shape, b.shape, &out)) -> error "not broadcastable"
//   // Prepare: build the plan once for the final shapes.
//   BroadcastPlan<2> plan = MakeBroadcastPlan<2>(out, {&a.shape, &b.shape});
//   // Eval:
//   BroadcastBinary(plan, a_data, b_data, out_data,
//                   [](float x, float y) { return x + y; });
//
// The plan merges adjacent dimensions that every input either spans fully or
// broadcasts, and drops size-1 output dimensions, so the common cases (same
// shapes, scalar operand, per-channel vector) become one or two flat loops.
// The innermost loop of the plan always has input strides 0 or 1, and
// BroadcastBinary / BroadcastTernary specialise it for those cases.
//
// Thread-safety: pure functions and value types.
#ifndef EDGERUN_KERNELS_REFERENCE_BROADCAST_H_
#define EDGERUN_KERNELS_REFERENCE_BROADCAST_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "kernels/shape.h"

namespace edgerun::kernels::reference {

// Highest output rank the broadcasting helpers accept (TFLite: 6 for most
// ops, 8 for SELECT_V2).
inline constexpr int kMaxBroadcastRank = 8;

// Output shape of broadcasting `shapes` against each other: dimensions are
// aligned at the right (missing ones count as 1); in each position the sizes
// must be equal or 1, and a 0 wins over 1 (0 against any size > 1 fails), as
// TFLite's CalculateShapeForBroadcast does. Returns false when the shapes do
// not broadcast or the output rank exceeds kMaxBroadcastRank.
inline bool BroadcastShapes(std::initializer_list<const Shape*> shapes,
                            Shape* out) {
  int rank = 0;
  for (const Shape* s : shapes) rank = std::max(rank, s->rank());
  if (rank > kMaxBroadcastRank) return false;
  std::vector<int32_t> dims(rank, 1);
  for (int i = 0; i < rank; ++i) {  // i counts from the last dimension
    int32_t lo = INT32_MAX;
    int32_t hi = 0;
    for (const Shape* s : shapes) {
      const int d = s->rank() - 1 - i;
      const int32_t v = d >= 0 ? s->dim(d) : 1;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    if (lo == 0) hi = 0;
    for (const Shape* s : shapes) {
      const int d = s->rank() - 1 - i;
      const int32_t v = d >= 0 ? s->dim(d) : 1;
      if (v != 1 && v != hi) return false;
    }
    dims[rank - 1 - i] = hi;
  }
  *out = Shape(std::move(dims));
  return true;
}

inline bool BroadcastShapes(const Shape& a, const Shape& b, Shape* out) {
  return BroadcastShapes({&a, &b}, out);
}

inline bool BroadcastShapes(const Shape& a, const Shape& b, const Shape& c,
                            Shape* out) {
  return BroadcastShapes({&a, &b, &c}, out);
}

// How to walk N inputs broadcast to an output, in output (row-major) order.
// dims[0] is the outermost merged dimension; strides are in elements, 0 where
// an input is broadcast. rank == 0 means the output is empty.
template <int N>
struct BroadcastPlan {
  int rank = 0;
  int64_t num_elements = 0;
  std::array<int64_t, kMaxBroadcastRank> dims{};
  std::array<std::array<int64_t, kMaxBroadcastRank>, N> strides{};
};

// Builds the plan for inputs of the given shapes broadcast to `out` (which
// must come from BroadcastShapes over the same shapes).
template <int N>
BroadcastPlan<N> MakeBroadcastPlan(const Shape& out,
                                   const std::array<const Shape*, N>& inputs) {
  BroadcastPlan<N> plan;
  plan.num_elements = out.NumElements();
  if (plan.num_elements == 0) return plan;
  // Per kept output dimension (size > 1), outermost first: its size and
  // which inputs span it (true) or broadcast it (false).
  int n = 0;
  std::array<int64_t, kMaxBroadcastRank> size{};
  std::array<std::array<bool, kMaxBroadcastRank>, N> spans{};
  const int rank = out.rank();
  for (int d = 0; d < rank; ++d) {
    if (out.dim(d) == 1) continue;
    // Merge into the previous kept dimension when every input behaves the
    // same in both.
    std::array<bool, N> span{};
    for (int k = 0; k < N; ++k) {
      const int id = inputs[k]->rank() - rank + d;
      span[k] = id >= 0 && inputs[k]->dim(id) != 1;
    }
    bool merge = n > 0;
    for (int k = 0; k < N && merge; ++k) merge = spans[k][n - 1] == span[k];
    if (merge) {
      size[n - 1] *= out.dim(d);
    } else {
      size[n] = out.dim(d);
      for (int k = 0; k < N; ++k) spans[k][n] = span[k];
      ++n;
    }
  }
  if (n == 0) {  // a single element
    size[0] = 1;
    for (int k = 0; k < N; ++k) spans[k][0] = true;
    n = 1;
  }
  plan.rank = n;
  for (int d = 0; d < n; ++d) plan.dims[d] = size[d];
  for (int k = 0; k < N; ++k) {
    int64_t stride = 1;
    for (int d = n - 1; d >= 0; --d) {
      plan.strides[k][d] = spans[k][d] ? stride : 0;
      if (spans[k][d]) stride *= size[d];
    }
  }
  return plan;
}

// Calls row(out_offset, in_offsets, in_strides, count) for every innermost
// row of the plan: output elements [out_offset, out_offset + count) read
// input k at in_offsets[k] + i * in_strides[k] (strides are 0 or 1).
template <int N, typename RowFn>
void ForEachBroadcastRow(const BroadcastPlan<N>& plan, RowFn&& row) {
  if (plan.rank == 0) return;
  const int inner = plan.rank - 1;
  const int64_t count = plan.dims[inner];
  std::array<int64_t, N> inner_strides;
  for (int k = 0; k < N; ++k) inner_strides[k] = plan.strides[k][inner];
  std::array<int64_t, kMaxBroadcastRank> index{};
  std::array<int64_t, N> offsets{};
  int64_t out_offset = 0;
  while (true) {
    row(out_offset, offsets, inner_strides, count);
    out_offset += count;
    // Odometer over the outer dimensions.
    int d = inner - 1;
    for (; d >= 0; --d) {
      ++index[d];
      for (int k = 0; k < N; ++k) offsets[k] += plan.strides[k][d];
      if (index[d] < plan.dims[d]) break;
      for (int k = 0; k < N; ++k) offsets[k] -= plan.strides[k][d] * index[d];
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

// out[i] = op(a[ia], b[ib]) over the plan.
template <typename A, typename B, typename O, typename Op>
void BroadcastBinary(const BroadcastPlan<2>& plan, const A* a, const B* b,
                     O* out, Op op) {
  ForEachBroadcastRow<2>(plan,
                         [&](int64_t o, const std::array<int64_t, 2>& off,
                             const std::array<int64_t, 2>& st, int64_t count) {
                           const A* pa = a + off[0];
                           const B* pb = b + off[1];
                           O* po = out + o;
                           if (st[0] != 0 && st[1] != 0) {
                             for (int64_t i = 0; i < count; ++i)
                               po[i] = op(pa[i], pb[i]);
                           } else if (st[1] != 0) {
                             const A va = *pa;
                             for (int64_t i = 0; i < count; ++i)
                               po[i] = op(va, pb[i]);
                           } else if (st[0] != 0) {
                             const B vb = *pb;
                             for (int64_t i = 0; i < count; ++i)
                               po[i] = op(pa[i], vb);
                           } else {
                             const O v = op(*pa, *pb);
                             for (int64_t i = 0; i < count; ++i) po[i] = v;
                           }
                         });
}

// out[i] = op(a[ia], b[ib], c[ic]) over the plan.
template <typename A, typename B, typename C, typename O, typename Op>
void BroadcastTernary(const BroadcastPlan<3>& plan, const A* a, const B* b,
                      const C* c, O* out, Op op) {
  ForEachBroadcastRow<3>(
      plan, [&](int64_t o, const std::array<int64_t, 3>& off,
                const std::array<int64_t, 3>& st, int64_t count) {
        const A* pa = a + off[0];
        const B* pb = b + off[1];
        const C* pc = c + off[2];
        O* po = out + o;
        for (int64_t i = 0; i < count; ++i) {
          po[i] = op(pa[i * st[0]], pb[i * st[1]], pc[i * st[2]]);
        }
      });
}

}  // namespace edgerun::kernels::reference

#endif  // EDGERUN_KERNELS_REFERENCE_BROADCAST_H_
