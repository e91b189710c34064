// Conformance cases of the movement family: RESHAPE, SQUEEZE, EXPAND_DIMS,
// CONCATENATION, SPLIT, SPLIT_V, PACK, UNPACK, TRANSPOSE, PAD, PADV2,
// MIRROR_PAD, STRIDED_SLICE, SLICE, GATHER, GATHER_ND, TILE, BROADCAST_TO,
// DEPTH_TO_SPACE, SPACE_TO_DEPTH, SHAPE, FILL, ZEROS_LIKE, ARG_MAX, ARG_MIN,
// AVERAGE_POOL_2D, MAX_POOL_2D, MEAN, SUM, REDUCE_MAX, REDUCE_MIN,
// REDUCE_PROD, RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR.
//
// One operator per model. Index-like operands (axes, shapes, paddings,
// begin/end) are constants, or fixed model inputs in the "_dyn" cases that
// exercise the dynamic-output path. Data inputs are the oracle's random
// values (full range for 8/16-bit, [-1, 1) for float, 0..255 for ints).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "edgerun/format/model_builder.h"
#include "tests/conformance/case_util.h"
#include "tests/conformance/conformance_case.h"

namespace edgerun::conformance {
namespace {

using Opts = OpOptions;
using FBB = flatbuffers::FlatBufferBuilder;

// The usual quantization of each test dtype (int16: symmetric).
Operand D(DataType type, std::vector<int32_t> shape) {
  switch (type) {
    case kU8:
      return QIn(type, std::move(shape), 0.05f, 120);
    case kS8:
      return QIn(type, std::move(shape), 0.05f, -3);
    case kS16:
      return QIn(type, std::move(shape), 0.001f, 0);
    default:
      return In(type, std::move(shape));
  }
}
template <typename V>
Operand C(DataType type, std::vector<int32_t> shape, const std::vector<V>& v) {
  Operand a = In(type, std::move(shape));
  a.constant = ToBytes(v);
  return a;
}
Operand C32(std::vector<int32_t> v) {
  return C(kI32, {static_cast<int32_t>(v.size())}, v);
}
template <typename V>
Operand F(DataType type, std::vector<int32_t> shape, const std::vector<V>& v) {
  Operand a = In(type, std::move(shape));
  a.fixed = ToBytes(v);
  return a;
}
Operand F32(std::vector<int32_t> v) {
  return F(kI32, {static_cast<int32_t>(v.size())}, v);
}
// Output like `a` (type and quantization) with another shape.
Operand Like(const Operand& a, std::vector<int32_t> shape) {
  Operand o;
  o.type = a.type;
  o.quant = a.quant;
  o.shape = std::move(shape);
  return o;
}

std::string Tn(DataType t) {
  switch (t) {
    case kF32:
      return "f32";
    case kU8:
      return "u8";
    case kS8:
      return "s8";
    case kS16:
      return "s16";
    case kI32:
      return "i32";
    case kI64:
      return "i64";
    case kBool:
      return "bool";
    default:
      return "x";
  }
}

// ---- options
Opts ConcatOpts(int axis) {
  return [=](FBB& f) {
    return tfl::CreateConcatenationOptions(f, axis,
                                           tfl::ActivationFunctionType_NONE);
  };
}
Opts StridedOpts(int b, int e, int ell, int na, int sh, bool off = false) {
  return [=](FBB& f) {
    return tfl::CreateStridedSliceOptions(f, b, e, ell, na, sh, off);
  };
}
Opts PoolOpts(
    tfl::Padding p, int sw, int sh, int fw, int fh,
    tfl::ActivationFunctionType act = tfl::ActivationFunctionType_NONE) {
  return [=](FBB& f) {
    return tfl::CreatePool2DOptions(f, p, sw, sh, fw, fh, act);
  };
}
Opts Keep(bool keep) {
  return [=](FBB& f) { return tfl::CreateReducerOptions(f, keep); };
}
Opts Bilinear(bool align, bool half) {
  return
      [=](FBB& f) { return tfl::CreateResizeBilinearOptions(f, align, half); };
}
Opts Nearest(bool align, bool half) {
  return [=](FBB& f) {
    return tfl::CreateResizeNearestNeighborOptions(f, align, half);
  };
}

void AddShapeOps(std::vector<ConformanceCase>& cs) {
  using tfl::BuiltinOperator_RESHAPE;
  cs.push_back(OpCaseN("reshape__f32_const_minus1", BuiltinOperator_RESHAPE,
                       {In(kF32, {2, 3, 4}), C32({4, -1})},
                       {In(kF32, {4, 6})}));
  cs.push_back(OpCaseN("reshape__s8_dyn_shape", BuiltinOperator_RESHAPE,
                       {D(kS8, {2, 6}), F32({3, 2, 2})}, {D(kS8, {3, 2, 2})}));
  cs.push_back(OpCaseN("squeeze__f32_dims", tfl::BuiltinOperator_SQUEEZE,
                       {In(kF32, {1, 3, 1, 2})}, {In(kF32, {3, 1, 2})},
                       [](FBB& f) {
                         std::vector<int32_t> d = {0};
                         return tfl::CreateSqueezeOptionsDirect(f, &d);
                       }));
  cs.push_back(OpCaseN("squeeze__u8_all", tfl::BuiltinOperator_SQUEEZE,
                       {D(kU8, {1, 3, 1, 2})}, {D(kU8, {3, 2})}));
  cs.push_back(OpCaseN("expand_dims__f32_neg_axis",
                       tfl::BuiltinOperator_EXPAND_DIMS,
                       {In(kF32, {2, 3}), C32({-1})}, {In(kF32, {2, 3, 1})}));
  // (Dynamic int64 outputs are beyond the oracle: LiteRT.js refuses them.)
  cs.push_back(OpCaseN("expand_dims__i32_dyn_axis",
                       tfl::BuiltinOperator_EXPAND_DIMS,
                       {In(kI32, {2, 3}), F32({0})}, {In(kI32, {1, 2, 3})}));
}

void AddJoinSplit(std::vector<ConformanceCase>& cs) {
  const auto concat = tfl::BuiltinOperator_CONCATENATION;
  cs.push_back(
      OpCaseN("concatenation__f32_axis1_three", concat,
              {In(kF32, {2, 1, 3}), In(kF32, {2, 2, 3}), In(kF32, {2, 3, 3})},
              {In(kF32, {2, 6, 3})}, ConcatOpts(1)));
  cs.push_back(OpCaseN(
      "concatenation__u8_requant_axis_neg1", concat,
      {QIn(kU8, {1, 3, 3, 2}, 0.012f, 0), QIn(kU8, {1, 3, 3, 3}, 0.029f, 7),
       QIn(kU8, {1, 3, 3, 1}, 0.029f, 3)},
      {QIn(kU8, {1, 3, 3, 6}, 0.029f, 3)}, ConcatOpts(-1)));
  cs.push_back(OpCaseN("concatenation__u8_same_quant_axis0", concat,
                       {D(kU8, {1, 4}), D(kU8, {2, 4})}, {D(kU8, {3, 4})},
                       ConcatOpts(0)));
  for (DataType t : {kS8, kS16, kI32, kI64, kBool}) {
    cs.push_back(OpCaseN("concatenation__" + Tn(t) + "_axis2", concat,
                         {D(t, {2, 2, 1}), D(t, {2, 2, 3})}, {D(t, {2, 2, 4})},
                         ConcatOpts(2)));
  }
  const auto split = tfl::BuiltinOperator_SPLIT;
  cs.push_back(
      OpCaseN("split__f32_axis1_three", split, {C32({1}), In(kF32, {2, 6, 2})},
              {In(kF32, {2, 2, 2}), In(kF32, {2, 2, 2}), In(kF32, {2, 2, 2})},
              [](FBB& f) { return tfl::CreateSplitOptions(f, 3); }));
  for (DataType t : {kU8, kS8, kS16, kI32, kI64}) {
    cs.push_back(
        OpCaseN("split__" + Tn(t) + "_axis_neg1", split,
                {C(kI32, {}, std::vector<int32_t>{-1}), D(t, {1, 3, 4})},
                {D(t, {1, 3, 2}), D(t, {1, 3, 2})},
                [](FBB& f) { return tfl::CreateSplitOptions(f, 2); }));
  }
  cs.push_back(OpCaseN("split__f32_dyn_axis", split,
                       {F(kI32, {}, std::vector<int32_t>{0}), In(kF32, {4, 3})},
                       {In(kF32, {2, 3}), In(kF32, {2, 3})},
                       [](FBB& f) { return tfl::CreateSplitOptions(f, 2); }));
  cs.push_back(OpCaseN(
      "split_v__f32_minus1", tfl::BuiltinOperator_SPLIT_V,
      {In(kF32, {2, 7}), C32({1, -1, 2}), C(kI32, {}, std::vector<int32_t>{1})},
      {In(kF32, {2, 1}), In(kF32, {2, 4}), In(kF32, {2, 2})},
      [](FBB& f) { return tfl::CreateSplitVOptions(f, 3); }));
  cs.push_back(OpCaseN(
      "split_v__s16_zero_size", tfl::BuiltinOperator_SPLIT_V,
      {D(kS16, {5, 2}), C32({3, 0, 2}), C(kI32, {}, std::vector<int32_t>{0})},
      {D(kS16, {3, 2}), D(kS16, {0, 2}), D(kS16, {2, 2})},
      [](FBB& f) { return tfl::CreateSplitVOptions(f, 3); }));
  const auto pack = tfl::BuiltinOperator_PACK;
  cs.push_back(OpCaseN("pack__f32_axis0", pack,
                       {In(kF32, {2, 3}), In(kF32, {2, 3})},
                       {In(kF32, {2, 2, 3})},
                       [](FBB& f) { return tfl::CreatePackOptions(f, 2, 0); }));
  cs.push_back(OpCaseN(
      "pack__s8_axis_neg1", pack,
      {D(kS8, {3, 2}), D(kS8, {3, 2}), D(kS8, {3, 2})}, {D(kS8, {3, 2, 3})},
      [](FBB& f) { return tfl::CreatePackOptions(f, 3, -1); }));
  cs.push_back(OpCaseN("pack__i32_axis1", pack,
                       {In(kI32, {2, 2}), In(kI32, {2, 2})},
                       {In(kI32, {2, 2, 2})},
                       [](FBB& f) { return tfl::CreatePackOptions(f, 2, 1); }));
  cs.push_back(OpCaseN(
      "unpack__f32_axis1", tfl::BuiltinOperator_UNPACK, {In(kF32, {2, 3, 2})},
      {In(kF32, {2, 2}), In(kF32, {2, 2}), In(kF32, {2, 2})},
      [](FBB& f) { return tfl::CreateUnpackOptions(f, 3, 1); }));
  cs.push_back(
      OpCaseN("unpack__u8_axis0", tfl::BuiltinOperator_UNPACK, {D(kU8, {2, 4})},
              {D(kU8, {4}), D(kU8, {4})},
              [](FBB& f) { return tfl::CreateUnpackOptions(f, 2, 0); }));
}

void AddPermute(std::vector<ConformanceCase>& cs) {
  const auto tr = tfl::BuiltinOperator_TRANSPOSE;
  cs.push_back(OpCaseN("transpose__f32_nhwc_to_nchw", tr,
                       {In(kF32, {1, 3, 4, 2}), C32({0, 3, 1, 2})},
                       {In(kF32, {1, 2, 3, 4})}));
  cs.push_back(OpCaseN("transpose__s8_3d", tr,
                       {D(kS8, {2, 3, 4}), C32({2, 0, 1})},
                       {D(kS8, {4, 2, 3})}));
  cs.push_back(OpCaseN("transpose__f32_5d", tr,
                       {In(kF32, {2, 1, 3, 2, 2}), C32({4, 2, 0, 3, 1})},
                       {In(kF32, {2, 3, 2, 2, 1})}));
  cs.push_back(OpCaseN("transpose__i32_2d_dyn_perm", tr,
                       {In(kI32, {3, 5}), F32({1, 0})}, {In(kI32, {5, 3})}));
  cs.push_back(OpCaseN("transpose__i64_2d", tr, {In(kI64, {3, 5}), C32({1, 0})},
                       {In(kI64, {5, 3})}));
  cs.push_back(OpCaseN("transpose__s16_6d", tr,
                       {D(kS16, {2, 1, 2, 3, 1, 2}), C32({5, 0, 3, 1, 4, 2})},
                       {D(kS16, {2, 2, 3, 1, 1, 2})}));
  for (DataType t : {kF32, kU8}) {
    cs.push_back(
        OpCaseN("depth_to_space__" + Tn(t) + "_block2",
                tfl::BuiltinOperator_DEPTH_TO_SPACE, {D(t, {1, 2, 3, 8})},
                {D(t, {1, 4, 6, 2})},
                [](FBB& f) { return tfl::CreateDepthToSpaceOptions(f, 2); }));
  }
  for (DataType t : {kF32, kS8}) {
    cs.push_back(
        OpCaseN("space_to_depth__" + Tn(t) + "_block2",
                tfl::BuiltinOperator_SPACE_TO_DEPTH, {D(t, {2, 4, 6, 3})},
                {D(t, {2, 2, 3, 12})},
                [](FBB& f) { return tfl::CreateSpaceToDepthOptions(f, 2); }));
  }
}

void AddPad(std::vector<ConformanceCase>& cs) {
  const auto pad = tfl::BuiltinOperator_PAD;
  const std::vector<int32_t> p4 = {0, 1, 2, 1, 0, 0, 1, 2};
  for (DataType t : {kF32, kS8, kS16, kI32, kI64}) {
    cs.push_back(OpCaseN("pad__" + Tn(t) + "_4d", pad,
                         {D(t, {1, 2, 3, 2}), C(kI32, {4, 2}, p4)},
                         {D(t, {2, 5, 3, 5})}));
  }
  cs.push_back(OpCaseN("pad__u8_zero_point_fill", pad,
                       {QIn(kU8, {2, 3}, 0.1f, 200),
                        C(kI32, {2, 2}, std::vector<int32_t>{1, 1, 2, 0})},
                       {QIn(kU8, {4, 5}, 0.1f, 200)}));
  cs.push_back(
      OpCaseN("pad__f32_i64_paddings", pad,
              {In(kF32, {3}), C(kI64, {1, 2}, std::vector<int64_t>{2, 3})},
              {In(kF32, {8})}));
  cs.push_back(OpCaseN(
      "pad__f32_dyn_paddings", pad,
      {In(kF32, {2, 2}), F(kI32, {2, 2}, std::vector<int32_t>{0, 1, 1, 0})},
      {In(kF32, {3, 3})}));
  cs.push_back(OpCaseN(
      "padv2__f32_value", tfl::BuiltinOperator_PADV2,
      {In(kF32, {2, 3}), C(kI32, {2, 2}, std::vector<int32_t>{1, 0, 0, 2}),
       C(kF32, {}, std::vector<float>{2.5f})},
      {In(kF32, {3, 5})}));
  Operand u8v = C(kU8, {}, std::vector<uint8_t>{17});
  u8v.quant = QuantizationSpec::PerTensor(0.05f, 120);
  cs.push_back(
      OpCaseN("padv2__u8_value", tfl::BuiltinOperator_PADV2,
              {D(kU8, {2, 2, 2}),
               C(kI32, {3, 2}, std::vector<int32_t>{0, 1, 1, 1, 0, 1}), u8v},
              {D(kU8, {3, 4, 3})}));
  const auto mirror = tfl::BuiltinOperator_MIRROR_PAD;
  auto mode = [](tfl::MirrorPadMode m) -> Opts {
    return [=](FBB& f) { return tfl::CreateMirrorPadOptions(f, m); };
  };
  cs.push_back(OpCaseN(
      "mirror_pad__f32_reflect", mirror,
      {In(kF32, {3, 4}), C(kI32, {2, 2}, std::vector<int32_t>{2, 1, 3, 3})},
      {In(kF32, {6, 10})}, mode(tfl::MirrorPadMode_REFLECT)));
  cs.push_back(
      OpCaseN("mirror_pad__f32_symmetric", mirror,
              {In(kF32, {1, 3, 3, 2}),
               C(kI32, {4, 2}, std::vector<int32_t>{0, 0, 3, 2, 1, 3, 0, 0})},
              {In(kF32, {1, 8, 7, 2})}, mode(tfl::MirrorPadMode_SYMMETRIC)));
  cs.push_back(OpCaseN(
      "mirror_pad__s8_reflect", mirror,
      {D(kS8, {4, 3}), C(kI32, {2, 2}, std::vector<int32_t>{1, 3, 2, 2})},
      {D(kS8, {8, 7})}, mode(tfl::MirrorPadMode_REFLECT)));
}

void AddSlice(std::vector<ConformanceCase>& cs) {
  const auto ss = tfl::BuiltinOperator_STRIDED_SLICE;
  cs.push_back(OpCaseN(
      "strided_slice__f32_basic", ss,
      {In(kF32, {4, 5, 3}), C32({1, 0, 0}), C32({3, 5, 3}), C32({1, 2, 1})},
      {In(kF32, {2, 3, 3})}, StridedOpts(0, 0, 0, 0, 0)));
  cs.push_back(
      OpCaseN("strided_slice__f32_negative_stride", ss,
              {In(kF32, {6, 4}), C32({-1, 3}), C32({-7, 0}), C32({-2, -1})},
              {In(kF32, {3, 3})}, StridedOpts(0, 0, 0, 0, 0)));
  cs.push_back(OpCaseN(
      "strided_slice__s16_masks_shrink", ss,
      {D(kS16, {3, 4, 5}), C32({1, 9, 2}), C32({0, -9, -1}), C32({1, 1, 2})},
      {D(kS16, {4, 1})}, StridedOpts(0b010, 0b010, 0, 0, 0b001)));
  cs.push_back(
      OpCaseN("strided_slice__u8_ellipsis", ss,
              {D(kU8, {2, 3, 4, 5}), C32({0, 1}), C32({0, 4}), C32({1, 2})},
              {D(kU8, {2, 3, 4, 2})}, StridedOpts(0, 0, 0b01, 0, 0)));
  cs.push_back(
      OpCaseN("strided_slice__s8_new_axis", ss,
              {D(kS8, {3, 4}), C32({0, 0, 1}), C32({0, 2, 4}), C32({1, 1, 1})},
              {D(kS8, {1, 2, 3})}, StridedOpts(0, 0, 0, 0b001, 0)));
  cs.push_back(
      OpCaseN("strided_slice__i32_offset", ss,
              {In(kI32, {5, 6}), C32({1, 2}), C32({3, 2}), C32({1, 1})},
              {In(kI32, {3, 2})}, StridedOpts(0, 0, 0, 0, 0, true)));
  cs.push_back(OpCaseN("strided_slice__f32_short_spec", ss,
                       {In(kF32, {4, 3, 2}), C32({1}), C32({3}), C32({1})},
                       {In(kF32, {2, 3, 2})}, StridedOpts(0, 0, 0, 0, 0)));
  cs.push_back(
      OpCaseN("strided_slice__f32_dyn_begin", ss,
              {In(kF32, {4, 4}), F32({1, -3}), C32({4, 4}), C32({2, 1})},
              {In(kF32, {2, 3})}, StridedOpts(0, 0, 0, 0, 0)));
  cs.push_back(
      OpCaseN("strided_slice__i64_shrink_all", ss,
              {In(kI64, {3, 4}), C32({2, -1}), C32({3, 0}), C32({1, 1})},
              {In(kI64, {})}, StridedOpts(0, 0, 0, 0, 0b11)));
  const auto slice = tfl::BuiltinOperator_SLICE;
  cs.push_back(OpCaseN("slice__f32_size_minus1", slice,
                       {In(kF32, {3, 4, 2}), C32({1, 1, 0}), C32({-1, 2, 2})},
                       {In(kF32, {2, 2, 2})}));
  cs.push_back(
      OpCaseN("slice__s8_i64_begin", slice,
              {D(kS8, {5, 3}), C(kI64, {2}, std::vector<int64_t>{2, 1}),
               C(kI64, {2}, std::vector<int64_t>{3, 2})},
              {D(kS8, {3, 2})}));
  cs.push_back(OpCaseN("slice__i32_dyn", slice,
                       {In(kI32, {4, 4}), F32({0, 2}), F32({3, -1})},
                       {In(kI32, {3, 2})}));
}

void AddGatherTile(std::vector<ConformanceCase>& cs) {
  const auto gather = tfl::BuiltinOperator_GATHER;
  auto gopts = [](int axis, int batch) -> Opts {
    return [=](FBB& f) { return tfl::CreateGatherOptions(f, axis, batch); };
  };
  cs.push_back(OpCaseN(
      "gather__f32_axis0", gather,
      {In(kF32, {5, 3}), C(kI32, {2, 2}, std::vector<int32_t>{4, 0, 2, 2})},
      {In(kF32, {2, 2, 3})}, gopts(0, 0)));
  cs.push_back(
      OpCaseN("gather__u8_axis1_i64", gather,
              {D(kU8, {2, 4, 3}), C(kI64, {3}, std::vector<int64_t>{3, 1, 3})},
              {D(kU8, {2, 3, 3})}, gopts(1, 0)));
  cs.push_back(OpCaseN("gather__s8_neg_axis", gather,
                       {D(kS8, {3, 4}), C(kI32, {}, std::vector<int32_t>{2})},
                       {D(kS8, {3})}, gopts(-1, 0)));
  cs.push_back(OpCaseN(
      "gather__f32_batch_dims1", gather,
      {In(kF32, {2, 4, 3}), C(kI32, {2, 2}, std::vector<int32_t>{0, 3, 2, 1})},
      {In(kF32, {2, 2, 3})}, gopts(1, 1)));
  cs.push_back(
      OpCaseN("gather__i32_dyn_indices", gather,
              {In(kI32, {6}), F(kI32, {4}, std::vector<int32_t>{5, 0, 0, 3})},
              {In(kI32, {4})}, gopts(0, 0)));
  cs.push_back(
      OpCaseN("gather_nd__f32_depth2", tfl::BuiltinOperator_GATHER_ND,
              {In(kF32, {3, 4, 2}),
               C(kI32, {3, 2}, std::vector<int32_t>{0, 1, 2, 3, 1, 0})},
              {In(kF32, {3, 2})}));
  cs.push_back(
      OpCaseN("gather_nd__s16_depth1", tfl::BuiltinOperator_GATHER_ND,
              {D(kS16, {4, 3}), C(kI64, {2, 1, 1}, std::vector<int64_t>{3, 1})},
              {D(kS16, {2, 1, 3})}));
  const auto tile = tfl::BuiltinOperator_TILE;
  cs.push_back(OpCaseN("tile__f32_2d", tile, {In(kF32, {2, 3}), C32({2, 3})},
                       {In(kF32, {4, 9})}));
  cs.push_back(
      OpCaseN("tile__s8_3d_i64", tile,
              {D(kS8, {1, 2, 2}), C(kI64, {3}, std::vector<int64_t>{3, 1, 2})},
              {D(kS8, {3, 2, 4})}));
  cs.push_back(OpCaseN("tile__bool_dyn", tile, {In(kBool, {2}), F32({3})},
                       {In(kBool, {6})}));
  // TFLite registers BROADCAST_TO from version 2 on.
  const OpCode bc(tfl::BuiltinOperator_BROADCAST_TO, 2);
  cs.push_back(OpCaseN("broadcast_to__f32_rank_up", bc,
                       {In(kF32, {3}), C32({2, 3})}, {In(kF32, {2, 3})}));
  cs.push_back(OpCaseN("broadcast_to__i32_inner", bc,
                       {In(kI32, {2, 1}), C32({2, 2, 4})},
                       {In(kI32, {2, 2, 4})}));
  cs.push_back(
      OpCaseN("broadcast_to__u8_i64_shape", bc,
              {D(kU8, {1, 3, 1}), C(kI64, {3}, std::vector<int64_t>{2, 3, 2})},
              {D(kU8, {2, 3, 2})}));
}

void AddMisc(std::vector<ConformanceCase>& cs) {
  cs.push_back(OpCaseN("shape__f32_to_i32", tfl::BuiltinOperator_SHAPE,
                       {In(kF32, {2, 3, 1})}, {In(kI32, {3})}, [](FBB& f) {
                         return tfl::CreateShapeOptions(f,
                                                        tfl::TensorType_INT32);
                       }));
  // (An int64 SHAPE output is computed at Prepare in TFLite, which LiteRT.js
  // cannot return as a model output; int32 only here.)
  cs.push_back(OpCaseN("shape__u8_rank4", tfl::BuiltinOperator_SHAPE,
                       {D(kU8, {4, 1, 2, 5})}, {In(kI32, {4})}, [](FBB& f) {
                         return tfl::CreateShapeOptions(f,
                                                        tfl::TensorType_INT32);
                       }));
  cs.push_back(OpCaseN("fill__f32", tfl::BuiltinOperator_FILL,
                       {C32({2, 3}), F(kF32, {}, std::vector<float>{1.25f})},
                       {In(kF32, {2, 3})}));
  cs.push_back(OpCaseN("fill__i64_dims_i32_value", tfl::BuiltinOperator_FILL,
                       {C(kI64, {3}, std::vector<int64_t>{1, 2, 2}),
                        F(kI32, {}, std::vector<int32_t>{-7})},
                       {In(kI32, {1, 2, 2})}));
  cs.push_back(
      OpCaseN("fill__i64_value", tfl::BuiltinOperator_FILL,
              {C32({3, 1}), F(kI64, {}, std::vector<int64_t>{1LL << 40})},
              {In(kI64, {3, 1})}));
  cs.push_back(OpCaseN("fill__f32_dyn_dims", tfl::BuiltinOperator_FILL,
                       {F32({3, 1, 2}), F(kF32, {}, std::vector<float>{-0.5f})},
                       {In(kF32, {3, 1, 2})}));
  for (DataType t : {kF32, kI32, kI64}) {
    cs.push_back(OpCaseN("zeros_like__" + Tn(t),
                         tfl::BuiltinOperator_ZEROS_LIKE, {In(t, {2, 3})},
                         {In(t, {2, 3})}));
  }
  auto amax = [](tfl::TensorType t) -> Opts {
    return [=](FBB& f) { return tfl::CreateArgMaxOptions(f, t); };
  };
  auto amin = [](tfl::TensorType t) -> Opts {
    return [=](FBB& f) { return tfl::CreateArgMinOptions(f, t); };
  };
  const auto am = tfl::BuiltinOperator_ARG_MAX;
  cs.push_back(OpCaseN("arg_max__f32_axis1_i32", am,
                       {In(kF32, {3, 5, 2}), C32({1})}, {In(kI32, {3, 2})},
                       amax(tfl::TensorType_INT32)));
  cs.push_back(
      OpCaseN("arg_max__u8_last_axis_i64", am,
              {D(kU8, {1, 4, 4, 21}), C(kI32, {}, std::vector<int32_t>{3})},
              {In(kI64, {1, 4, 4})}, amax(tfl::TensorType_INT64)));
  cs.push_back(
      OpCaseN("arg_max__s8_ties", am,
              {F(kS8, {2, 4}, std::vector<int8_t>{3, 7, 7, 1, -5, -5, -9, -5}),
               C(kI64, {1}, std::vector<int64_t>{-1})},
              {In(kI32, {2})}, amax(tfl::TensorType_INT32)));
  cs.push_back(OpCaseN("arg_max__i32_axis0", am, {In(kI32, {4, 3}), C32({0})},
                       {In(kI64, {3})}, amax(tfl::TensorType_INT64)));
  cs.push_back(OpCaseN("arg_min__f32_i64", tfl::BuiltinOperator_ARG_MIN,
                       {In(kF32, {2, 3, 4}), C32({2})}, {In(kI64, {2, 3})},
                       amin(tfl::TensorType_INT64)));
  cs.push_back(OpCaseN(
      "arg_min__u8_ties_dyn_axis", tfl::BuiltinOperator_ARG_MIN,
      {F(kU8, {3, 2}, std::vector<uint8_t>{4, 4, 2, 9, 2, 4}), F32({0})},
      {In(kI32, {2})}, amin(tfl::TensorType_INT32)));
}

void AddPool(std::vector<ConformanceCase>& cs) {
  using tfl::ActivationFunctionType_RELU;
  using tfl::ActivationFunctionType_RELU6;
  using tfl::ActivationFunctionType_RELU_N1_TO_1;
  const auto avg = tfl::BuiltinOperator_AVERAGE_POOL_2D;
  const auto mx = tfl::BuiltinOperator_MAX_POOL_2D;
  cs.push_back(OpCaseN(
      "average_pool_2d__f32_same_s2_relu6", avg, {In(kF32, {1, 7, 6, 3})},
      {In(kF32, {1, 4, 3, 3})},
      PoolOpts(tfl::Padding_SAME, 2, 2, 3, 3, ActivationFunctionType_RELU6)));
  cs.push_back(OpCaseN("average_pool_2d__u8_valid_3x2", avg,
                       {D(kU8, {2, 5, 5, 4})}, {D(kU8, {2, 3, 2, 4})},
                       PoolOpts(tfl::Padding_VALID, 2, 1, 2, 3)));
  cs.push_back(OpCaseN("average_pool_2d__u8_global_7x7", avg,
                       {QIn(kU8, {1, 7, 7, 8}, 0.0235f, 0)},
                       {QIn(kU8, {1, 1, 1, 8}, 0.0235f, 0)},
                       PoolOpts(tfl::Padding_VALID, 2, 2, 7, 7)));
  cs.push_back(OpCaseN(
      "average_pool_2d__s8_same_relu", avg, {D(kS8, {1, 5, 7, 3})},
      {D(kS8, {1, 3, 4, 3})},
      PoolOpts(tfl::Padding_SAME, 2, 2, 2, 3, ActivationFunctionType_RELU)));
  cs.push_back(OpCaseN("average_pool_2d__s16_same", avg,
                       {D(kS16, {1, 4, 4, 2})}, {D(kS16, {1, 4, 4, 2})},
                       PoolOpts(tfl::Padding_SAME, 1, 1, 3, 3)));
  cs.push_back(OpCaseN(
      "max_pool_2d__f32_same_relu", mx, {In(kF32, {1, 6, 5, 2})},
      {In(kF32, {1, 3, 3, 2})},
      PoolOpts(tfl::Padding_SAME, 2, 2, 3, 3, ActivationFunctionType_RELU)));
  cs.push_back(OpCaseN(
      "max_pool_2d__u8_relu6", mx, {D(kU8, {1, 5, 5, 3})},
      {D(kU8, {1, 2, 2, 3})},
      PoolOpts(tfl::Padding_VALID, 2, 2, 2, 2, ActivationFunctionType_RELU6)));
  cs.push_back(OpCaseN("max_pool_2d__s8_n1to1", mx,
                       {QIn(kS8, {2, 4, 4, 2}, 0.01f, 5)},
                       {QIn(kS8, {2, 4, 4, 2}, 0.01f, 5)},
                       PoolOpts(tfl::Padding_SAME, 1, 1, 2, 2,
                                ActivationFunctionType_RELU_N1_TO_1)));
  cs.push_back(OpCaseN("max_pool_2d__s16_valid", mx, {D(kS16, {1, 6, 6, 1})},
                       {D(kS16, {1, 2, 2, 1})},
                       PoolOpts(tfl::Padding_VALID, 3, 3, 3, 3)));
}

void AddReduce(std::vector<ConformanceCase>& cs) {
  const auto mean = tfl::BuiltinOperator_MEAN;
  const auto sum = tfl::BuiltinOperator_SUM;
  cs.push_back(OpCaseN("mean__f32_hw_keep", mean,
                       {In(kF32, {2, 3, 4, 5}), C32({1, 2})},
                       {In(kF32, {2, 1, 1, 5})}, Keep(true)));
  cs.push_back(OpCaseN("mean__f32_neg_axis_dup", mean,
                       {In(kF32, {3, 4, 2}), C32({-1, 2, 0})}, {In(kF32, {4})},
                       Keep(false)));
  cs.push_back(OpCaseN("mean__s8_hw_keep_rescale", mean,
                       {QIn(kS8, {1, 7, 7, 6}, 0.02f, -10), C32({1, 2})},
                       {QIn(kS8, {1, 1, 1, 6}, 0.011f, 4)}, Keep(true)));
  cs.push_back(OpCaseN("mean__s8_hw_nokeep", mean,
                       {QIn(kS8, {1, 7, 7, 6}, 0.02f, -10), C32({1, 2})},
                       {QIn(kS8, {1, 6}, 0.011f, 4)}, Keep(false)));
  cs.push_back(OpCaseN("mean__u8_hw_keep_rescale", mean,
                       {QIn(kU8, {2, 3, 5, 4}, 0.03f, 100), C32({2, 1})},
                       {QIn(kU8, {2, 1, 1, 4}, 0.01f, 90)}, Keep(true)));
  cs.push_back(OpCaseN("mean__u8_axes_0_2", mean,
                       {QIn(kU8, {3, 2, 4}, 0.03f, 100), C32({0, 2})},
                       {QIn(kU8, {2}, 0.02f, 128)}, Keep(false)));
  cs.push_back(OpCaseN("mean__s16_axis1", mean,
                       {QIn(kS16, {3, 5, 2}, 0.002f, 0), C32({1})},
                       {QIn(kS16, {3, 1, 2}, 0.001f, 0)}, Keep(true)));
  cs.push_back(OpCaseN("mean__i32", mean, {In(kI32, {4, 3}), C32({0})},
                       {In(kI32, {3})}, Keep(false)));
  cs.push_back(OpCaseN("sum__f32_keep", sum, {In(kF32, {2, 3, 4}), C32({1})},
                       {In(kF32, {2, 1, 4})}, Keep(true)));
  cs.push_back(OpCaseN("sum__u8_rescale", sum,
                       {QIn(kU8, {2, 3, 4}, 0.01f, 120), C32({2})},
                       {QIn(kU8, {2, 3}, 0.05f, 100)}, Keep(false)));
  // (No int8 SUM case: the oracle's XNNPACK qs8 sum double-counts the raw
  // sum, a delegate bug this runtime does not copy; uint8 agrees.)
  cs.push_back(OpCaseN("sum__s16_all", sum,
                       {QIn(kS16, {2, 3}, 0.001f, 0), C32({0, 1})},
                       {QIn(kS16, {}, 0.004f, 0)}, Keep(false)));
  cs.push_back(OpCaseN("sum__i64", sum, {In(kI64, {2, 5}), C32({-1})},
                       {In(kI64, {2})}, Keep(false)));
  const auto rmax = tfl::BuiltinOperator_REDUCE_MAX;
  const auto rmin = tfl::BuiltinOperator_REDUCE_MIN;
  for (DataType t : {kF32, kU8, kS8, kS16, kI32}) {
    cs.push_back(OpCaseN("reduce_max__" + Tn(t), rmax,
                         {D(t, {2, 3, 4}), C32({0, 2})}, {D(t, {1, 3, 1})},
                         Keep(true)));
    cs.push_back(OpCaseN("reduce_min__" + Tn(t), rmin,
                         {D(t, {2, 3, 4}), C32({1})}, {D(t, {2, 4})},
                         Keep(false)));
  }
  cs.push_back(OpCaseN("reduce_max__f32_dyn_axis", rmax,
                       {In(kF32, {3, 4}), F32({1})}, {In(kF32, {3})},
                       Keep(false)));
  const auto prod = tfl::BuiltinOperator_REDUCE_PROD;
  cs.push_back(OpCaseN("reduce_prod__f32", prod,
                       {In(kF32, {2, 3, 4}), C32({1})}, {In(kF32, {2, 4})},
                       Keep(false)));
  cs.push_back(OpCaseN("reduce_prod__i32", prod, {In(kI32, {3, 3}), C32({0})},
                       {In(kI32, {1, 3})}, Keep(true)));
  cs.push_back(OpCaseN("reduce_prod__s8_quant", prod,
                       {QIn(kS8, {2, 4}, 0.02f, 3), C32({1})},
                       {QIn(kS8, {2}, 0.15f, -2)}, Keep(false)));
  cs.push_back(OpCaseN("reduce_prod__s16_quant", prod,
                       {QIn(kS16, {3, 3}, 0.0001f, 0), C32({0})},
                       {QIn(kS16, {3}, 0.002f, 0)}, Keep(false)));
}

void AddResize(std::vector<ConformanceCase>& cs) {
  const auto bl = tfl::BuiltinOperator_RESIZE_BILINEAR;
  const auto nn = tfl::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR;
  struct Mode {
    const char* name;
    bool align, half;
  };
  const Mode modes[] = {
      {"plain", false, false}, {"align", true, false}, {"half", false, true}};
  for (DataType t : {kF32, kU8, kS8, kS16}) {
    for (const Mode& m : modes) {
      cs.push_back(OpCaseN("resize_bilinear__" + Tn(t) + "_" + m.name + "_up",
                           bl, {D(t, {1, 3, 4, 2}), C32({7, 5})},
                           {D(t, {1, 7, 5, 2})}, Bilinear(m.align, m.half)));
      cs.push_back(OpCaseN("resize_nearest_neighbor__" + Tn(t) + "_" + m.name,
                           nn, {D(t, {2, 4, 3, 2}), C32({3, 7})},
                           {D(t, {2, 3, 7, 2})}, Nearest(m.align, m.half)));
    }
    cs.push_back(OpCaseN("resize_bilinear__" + Tn(t) + "_half_down", bl,
                         {D(t, {1, 6, 5, 3}), C32({4, 2})},
                         {D(t, {1, 4, 2, 3})}, Bilinear(false, true)));
  }
  cs.push_back(OpCaseN("resize_bilinear__u8_align_deeplab_like", bl,
                       {QIn(kU8, {1, 5, 5, 3}, 0.19f, 34), C32({33, 33})},
                       {QIn(kU8, {1, 33, 33, 3}, 0.19f, 34)},
                       Bilinear(true, false)));
  cs.push_back(OpCaseN("resize_bilinear__u8_align_from_1x1", bl,
                       {QIn(kU8, {1, 1, 1, 4}, 0.012f, 0), C32({3, 3})},
                       {QIn(kU8, {1, 3, 3, 4}, 0.012f, 0)},
                       Bilinear(true, false)));
  cs.push_back(OpCaseN("resize_bilinear__f32_2x", bl,
                       {In(kF32, {1, 3, 3, 2}), C32({6, 6})},
                       {In(kF32, {1, 6, 6, 2})}, Bilinear(false, false)));
  cs.push_back(OpCaseN("resize_bilinear__u8_dyn_size_align", bl,
                       {D(kU8, {1, 3, 4, 2}), F32({5, 7})},
                       {D(kU8, {1, 5, 7, 2})}, Bilinear(true, false)));
  cs.push_back(OpCaseN("resize_bilinear__s8_dyn_size_half", bl,
                       {D(kS8, {1, 3, 4, 2}), F32({5, 7})},
                       {D(kS8, {1, 5, 7, 2})}, Bilinear(false, true)));
  cs.push_back(OpCaseN("resize_bilinear__f32_dyn_size", bl,
                       {In(kF32, {1, 2, 2, 1}), F32({3, 5})},
                       {In(kF32, {1, 3, 5, 1})}, Bilinear(false, true)));
  cs.push_back(OpCaseN("resize_nearest_neighbor__i32_down", nn,
                       {In(kI32, {1, 7, 9, 1}), C32({3, 4})},
                       {In(kI32, {1, 3, 4, 1})}, Nearest(false, false)));
}

}  // namespace

void AddMovementCases(std::vector<ConformanceCase>& cases) {
  AddShapeOps(cases);
  AddJoinSplit(cases);
  AddPermute(cases);
  AddPad(cases);
  AddSlice(cases);
  AddGatherTile(cases);
  AddMisc(cases);
  AddPool(cases);
  AddReduce(cases);
  AddResize(cases);
}

}  // namespace edgerun::conformance
