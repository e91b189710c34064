// TFLite_Detection_PostProcess (custom op): SSD box decoding followed by
// non-max suppression, as TensorFlow Lite's builtin custom kernel does it.
//
// Inputs: box_encodings [1, boxes, >=4] (y, x, h, w relative to anchors),
// class_predictions [1, boxes, classes (+1 background)], anchors [boxes, 4]
// (y_center, x_center, h, w); float32, or uint8/int8 dequantized first.
// Outputs (float32): detection_boxes [1, D, 4] (ymin, xmin, ymax, xmax),
// detection_classes [1, D], detection_scores [1, D], num_detections [1],
// with D = max_detections * max_classes_per_detection.
// Options (flexbuffers map in custom_options): max_detections,
// max_classes_per_detection, detections_per_class (100), use_regular_nms
// (false), nms_score_threshold, nms_iou_threshold, num_classes, y_scale,
// x_scale, h_scale, w_scale.
//
// Fast NMS: every box competes with its best class score, and the top
// max_classes_per_detection classes of a kept box are reported. Regular
// NMS: per-class NMS, then the best max_detections over all classes.
// Slots past the detections are zero.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "flatbuffers/flexbuffers.h"
#include "format/tflite_generated.h"
#include "kernels/op_util.h"
#include "kernels/ops/matrix_ops.h"
#include "kernels/registry.h"

namespace edgerun::kernels {
namespace {

constexpr int kNumCoords = 4;
constexpr int kDefaultDetectionsPerClass = 100;
// Keeps D * 4 floats and the per-class work well inside int range.
constexpr int64_t kMaxDetectedBoxes = 1 << 20;

struct Options {
  int max_detections = 0;
  int max_classes_per_detection = 1;
  int detections_per_class = kDefaultDetectionsPerClass;
  bool use_regular_nms = false;
  float score_threshold = 0.f;
  float iou_threshold = 0.f;
  int num_classes = 0;
  float y_scale = 0.f;
  float x_scale = 0.f;
  float h_scale = 0.f;
  float w_scale = 0.f;
};

struct Box {
  float ymin, xmin, ymax, xmax;
};

// Parses the flexbuffers map; the bytes are verified first, so a hostile
// model cannot make the parser read out of bounds.
Status ParseOptions(const KernelContext& ctx, std::span<const uint8_t> bytes,
                    Options* o) {
  if (bytes.empty()) return ctx.InvalidArgument("missing custom options");
  if (!flexbuffers::VerifyBuffer(bytes.data(), bytes.size())) {
    return ctx.InvalidArgument("custom options are not a valid flexbuffer");
  }
  const flexbuffers::Reference root =
      flexbuffers::GetRoot(bytes.data(), bytes.size());
  if (!root.IsMap())
    return ctx.InvalidArgument("custom options must be a flexbuffer map");
  const flexbuffers::Map m = root.AsMap();
  auto get_int = [&](const char* key, int fallback) {
    const flexbuffers::Reference r = m[key];
    return r.IsNull() ? fallback : r.AsInt32();
  };
  auto get_float = [&](const char* key) {
    const flexbuffers::Reference r = m[key];
    return r.IsNull() ? 0.f : r.AsFloat();
  };
  o->max_detections = get_int("max_detections", 0);
  o->max_classes_per_detection = get_int("max_classes_per_detection", 0);
  o->detections_per_class =
      get_int("detections_per_class", kDefaultDetectionsPerClass);
  o->use_regular_nms =
      m["use_regular_nms"].IsNull() ? false : m["use_regular_nms"].AsBool();
  o->score_threshold = get_float("nms_score_threshold");
  o->iou_threshold = get_float("nms_iou_threshold");
  o->num_classes = get_int("num_classes", 0);
  o->y_scale = get_float("y_scale");
  o->x_scale = get_float("x_scale");
  o->h_scale = get_float("h_scale");
  o->w_scale = get_float("w_scale");
  return OkStatus();
}

// Index of the first maximum, as TFLite's ArgMaxVector.
int ArgMax(const float* v, int n) {
  int best = 0;
  for (int i = 1; i < n; ++i) {
    if (v[i] > v[best]) best = i;
  }
  return best;
}

// The num_to_sort highest of n values, decreasing (ties: lower index first).
void DecreasingPartialArgSort(const float* v, int n, int num_to_sort,
                              int* idx) {
  if (num_to_sort == 1) {
    idx[0] = ArgMax(v, n);
    return;
  }
  std::iota(idx, idx + n, 0);
  std::partial_sort(idx, idx + num_to_sort, idx + n, [v](int i, int j) {
    return v[i] > v[j] || (v[i] == v[j] && i < j);
  });
}

float IntersectionOverUnion(const Box& a, const Box& b) {
  const float area_a = (a.ymax - a.ymin) * (a.xmax - a.xmin);
  const float area_b = (b.ymax - b.ymin) * (b.xmax - b.xmin);
  if (area_a <= 0 || area_b <= 0) return 0.f;
  const float ymin = std::max(a.ymin, b.ymin);
  const float xmin = std::max(a.xmin, b.xmin);
  const float ymax = std::min(a.ymax, b.ymax);
  const float xmax = std::min(a.xmax, b.xmax);
  const float inter = std::max(ymax - ymin, 0.f) * std::max(xmax - xmin, 0.f);
  return inter / (area_a + area_b - inter);
}

// One kernel per node; owns the decoded boxes and dequantized scores.
// Thread-safety: as OpKernel.
class DetectionPostProcessKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(CheckArity(ctx, 3, 3, 4));
    RETURN_IF_ERROR(ParseOptions(ctx, ctx.node().custom_options, &options_));
    const Options& o = options_;
    if (o.max_detections < 0)
      return ctx.InvalidArgument("max_detections must be >= 0");
    if (o.max_classes_per_detection <= 0) {
      return ctx.InvalidArgument("max_classes_per_detection must be positive");
    }
    if (o.use_regular_nms && o.detections_per_class <= 0) {
      return ctx.InvalidArgument("detections_per_class must be positive");
    }
    if (!(o.iou_threshold > 0.f && o.iou_threshold <= 1.f)) {
      return ctx.InvalidArgument("nms_iou_threshold must be in (0, 1]");
    }
    if (o.num_classes <= 0)
      return ctx.InvalidArgument("num_classes must be positive");
    if (o.y_scale == 0.f || o.x_scale == 0.f || o.h_scale == 0.f ||
        o.w_scale == 0.f || !std::isfinite(o.y_scale) ||
        !std::isfinite(o.x_scale) || !std::isfinite(o.h_scale) ||
        !std::isfinite(o.w_scale)) {
      return ctx.InvalidArgument(
          "y_scale, x_scale, h_scale and w_scale must be finite and "
          "nonzero");
    }
    const int64_t detected =
        static_cast<int64_t>(o.max_detections) * o.max_classes_per_detection;
    if (detected > kMaxDetectedBoxes) {
      return ctx.InvalidArgument(
          "max_detections * max_classes_per_detection is too large");
    }

    const Tensor* boxes = ctx.input(0);
    const Tensor* classes = ctx.input(1);
    const Tensor* anchors = ctx.input(2);
    RETURN_IF_ERROR(CheckRank(ctx, boxes, 3, "box_encodings"));
    RETURN_IF_ERROR(CheckRank(ctx, classes, 3, "class_predictions"));
    RETURN_IF_ERROR(CheckRank(ctx, anchors, 2, "anchors"));
    if (boxes->shape.dim(0) != 1 || classes->shape.dim(0) != 1) {
      return ctx.Unimplemented("only batch size 1 is supported");
    }
    num_boxes_ = boxes->shape.dim(1);
    box_len_ = boxes->shape.dim(2);
    if (box_len_ < kNumCoords) {
      return ctx.InvalidArgument(
          "box_encodings need at least 4 values per box");
    }
    if (classes->shape.dim(1) != num_boxes_ ||
        anchors->shape.dim(0) != num_boxes_ ||
        anchors->shape.dim(1) != kNumCoords) {
      return ctx.InvalidArgument(
          "class_predictions " + classes->shape.ToString() + " and anchors " +
          anchors->shape.ToString() + " do not match box_encodings " +
          boxes->shape.ToString());
    }
    classes_with_background_ = classes->shape.dim(2);
    label_offset_ = classes_with_background_ - o.num_classes;
    if (label_offset_ < 0 || label_offset_ > 1) {
      return ctx.InvalidArgument(
          "class_predictions has " + std::to_string(classes_with_background_) +
          " classes, expected num_classes (" + std::to_string(o.num_classes) +
          ") or one more");
    }
    RETURN_IF_ERROR(CheckInputType(ctx, *boxes, "box_encodings"));
    RETURN_IF_ERROR(CheckInputType(ctx, *classes, "class_predictions"));
    RETURN_IF_ERROR(CheckInputType(ctx, *anchors, "anchors"));
    if (anchors->type != boxes->type) {
      return ctx.InvalidArgument("anchors must have the box_encodings' type");
    }
    for (int i = 0; i < 4; ++i) {
      const Tensor* out = ctx.output(i);
      RETURN_IF_ERROR(CheckPresent(ctx, out, "output"));
      if (out->type != DataType::kFloat32) {
        return ctx.InvalidArgument("outputs must be float32");
      }
    }
    decoded_.resize(static_cast<size_t>(num_boxes_));
    scores_.resize(static_cast<size_t>(num_boxes_) * classes_with_background_);
    const int d = static_cast<int>(detected);
    RETURN_IF_ERROR(ctx.ResizeOutput(0, Shape({1, d, kNumCoords})));
    RETURN_IF_ERROR(ctx.ResizeOutput(1, Shape({1, d})));
    RETURN_IF_ERROR(ctx.ResizeOutput(2, Shape({1, d})));
    return ctx.ResizeOutput(3, Shape({1}));
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* boxes = ctx.input(0);
    const Tensor* classes = ctx.input(1);
    const Tensor* anchors = ctx.input(2);
    for (int i = 0; i < 4; ++i) {
      Tensor* out = ctx.output(i);
      std::fill_n(out->data_as<float>(), out->NumElements(), 0.f);
    }
    Decode(*boxes, *anchors);
    for (const Box& b : decoded_) {
      // NaN/inf encodings give boxes TFLite rejects too.
      if (!(b.ymin <= b.ymax) || !(b.xmin <= b.xmax)) {
        return ctx.InvalidArgument(
            "decoded box has min > max (non-finite box encodings?)");
      }
    }
    Dequantize(*classes, scores_.data());
    if (options_.use_regular_nms) {
      RegularNms(ctx);
    } else {
      FastNms(ctx);
    }
    return OkStatus();
  }

 private:
  static Status CheckInputType(const KernelContext& ctx, const Tensor& t,
                               const char* what) {
    if (t.type == DataType::kFloat32) return OkStatus();
    if (t.type != DataType::kUInt8 && t.type != DataType::kInt8) {
      return ctx.Unimplemented(std::string(what) + " type " + TypeName(t.type) +
                               " is not supported");
    }
    if (!t.quant.quantized()) {
      return ctx.InvalidArgument(std::string(what) +
                                 " is quantized but has no scale");
    }
    return OkStatus();
  }

  // real = (q - zero_point) * scale, in float as TFLite.
  static void Dequantize(const Tensor& t, float* out) {
    const int64_t n = t.NumElements();
    if (t.type == DataType::kFloat32) {
      std::copy_n(t.data_as<float>(), n, out);
      return;
    }
    const float zp = static_cast<float>(t.quant.zero_point0());
    const float scale = t.quant.scale0();
    for (int64_t i = 0; i < n; ++i) {
      const float q = t.type == DataType::kUInt8
                          ? static_cast<float>(t.data_as<uint8_t>()[i])
                          : static_cast<float>(t.data_as<int8_t>()[i]);
      out[i] = (q - zp) * scale;
    }
  }

  static float ValueAt(const Tensor& t, int64_t i) {
    switch (t.type) {
      case DataType::kFloat32:
        return t.data_as<float>()[i];
      case DataType::kUInt8:
        return (static_cast<float>(t.data_as<uint8_t>()[i]) -
                static_cast<float>(t.quant.zero_point0())) *
               t.quant.scale0();
      default:
        return (static_cast<float>(t.data_as<int8_t>()[i]) -
                static_cast<float>(t.quant.zero_point0())) *
               t.quant.scale0();
    }
  }

  void Decode(const Tensor& boxes, const Tensor& anchors) {
    const Options& o = options_;
    for (int i = 0; i < num_boxes_; ++i) {
      const int64_t b = static_cast<int64_t>(i) * box_len_;
      const int64_t a = static_cast<int64_t>(i) * kNumCoords;
      const double by = ValueAt(boxes, b), bx = ValueAt(boxes, b + 1);
      const double bh = ValueAt(boxes, b + 2), bw = ValueAt(boxes, b + 3);
      const double ay = ValueAt(anchors, a), ax = ValueAt(anchors, a + 1);
      const double ah = ValueAt(anchors, a + 2), aw = ValueAt(anchors, a + 3);
      const float yc = static_cast<float>(by / o.y_scale * ah + ay);
      const float xc = static_cast<float>(bx / o.x_scale * aw + ax);
      const float half_h =
          static_cast<float>(0.5 * std::exp(bh / o.h_scale) * ah);
      const float half_w =
          static_cast<float>(0.5 * std::exp(bw / o.w_scale) * aw);
      decoded_[i] = Box{yc - half_h, xc - half_w, yc + half_h, xc + half_w};
    }
  }

  // Greedy NMS over one score per box: keeps scores >= threshold, visits
  // them in decreasing order (stable), drops boxes overlapping a kept one
  // by more than the IoU threshold. Returns at most max_out box indices.
  void SingleClassNms(const std::vector<float>& scores, int max_out,
                      std::vector<int>* selected) const {
    selected->clear();
    std::vector<int> keep;
    for (int i = 0; i < static_cast<int>(scores.size()); ++i) {
      if (scores[i] >= options_.score_threshold) keep.push_back(i);
    }
    std::stable_sort(keep.begin(), keep.end(),
                     [&](int i, int j) { return scores[i] > scores[j]; });
    const int kept = static_cast<int>(keep.size());
    const int output_size = std::min(kept, max_out);
    std::vector<uint8_t> active(static_cast<size_t>(kept), 1);
    int num_active = kept;
    for (int i = 0; i < kept; ++i) {
      if (num_active == 0 || static_cast<int>(selected->size()) >= output_size)
        break;
      if (!active[i]) continue;
      selected->push_back(keep[i]);
      active[i] = 0;
      --num_active;
      for (int j = i + 1; j < kept; ++j) {
        if (active[j] &&
            IntersectionOverUnion(decoded_[keep[i]], decoded_[keep[j]]) >
                options_.iou_threshold) {
          active[j] = 0;
          --num_active;
        }
      }
    }
  }

  void WriteDetection(KernelContext& ctx, int slot, int box, float cls,
                      float score) const {
    float* out_boxes = ctx.output(0)->data_as<float>();
    const Box& b = decoded_[box];
    out_boxes[slot * 4 + 0] = b.ymin;
    out_boxes[slot * 4 + 1] = b.xmin;
    out_boxes[slot * 4 + 2] = b.ymax;
    out_boxes[slot * 4 + 3] = b.xmax;
    ctx.output(1)->data_as<float>()[slot] = cls;
    ctx.output(2)->data_as<float>()[slot] = score;
  }

  void FastNms(KernelContext& ctx) const {
    const int num_classes = options_.num_classes;
    const int per_anchor = options_.max_classes_per_detection;
    const int categories = std::min(per_anchor, num_classes);
    std::vector<float> max_scores(static_cast<size_t>(num_boxes_));
    std::vector<int> sorted(static_cast<size_t>(num_boxes_) * num_classes);
    for (int row = 0; row < num_boxes_; ++row) {
      const float* s = scores_.data() +
                       static_cast<size_t>(row) * classes_with_background_ +
                       label_offset_;
      int* idx = sorted.data() + static_cast<size_t>(row) * num_classes;
      DecreasingPartialArgSort(s, num_classes, categories, idx);
      max_scores[row] = s[idx[0]];
    }
    std::vector<int> selected;
    SingleClassNms(max_scores, options_.max_detections, &selected);
    int out_index = 0;
    for (int box : selected) {
      const float* s = scores_.data() +
                       static_cast<size_t>(box) * classes_with_background_ +
                       label_offset_;
      const int* idx = sorted.data() + static_cast<size_t>(box) * num_classes;
      for (int c = 0; c < categories; ++c) {
        WriteDetection(ctx, per_anchor * out_index + c, box,
                       static_cast<float>(idx[c]), s[idx[c]]);
      }
      ++out_index;
    }
    ctx.output(3)->data_as<float>()[0] = static_cast<float>(out_index);
  }

  void RegularNms(KernelContext& ctx) const {
    struct Candidate {
      int box;
      int cls;
      float score;
    };
    const int max_det = options_.max_detections;
    const int per_class = std::min(options_.detections_per_class, max_det);
    std::vector<Candidate> best;  // sorted by decreasing score, <= max_det
    std::vector<float> class_scores(static_cast<size_t>(num_boxes_));
    std::vector<int> selected;
    if (per_class > 0) {
      for (int c = 0; c < options_.num_classes; ++c) {
        for (int row = 0; row < num_boxes_; ++row) {
          class_scores[row] =
              scores_[static_cast<size_t>(row) * classes_with_background_ + c +
                      label_offset_];
        }
        SingleClassNms(class_scores, per_class, &selected);
        if (selected.empty()) continue;
        const size_t mid = best.size();
        for (int box : selected) best.push_back({box, c, class_scores[box]});
        // Stable merge: earlier classes win ties, as TFLite's inplace_merge.
        std::inplace_merge(best.begin(), best.begin() + mid, best.end(),
                           [](const Candidate& a, const Candidate& b) {
                             return a.score > b.score;
                           });
        if (static_cast<int>(best.size()) > max_det) best.resize(max_det);
      }
    }
    for (size_t i = 0; i < best.size(); ++i) {
      WriteDetection(ctx, static_cast<int>(i), best[i].box,
                     static_cast<float>(best[i].cls), best[i].score);
    }
    ctx.output(3)->data_as<float>()[0] = static_cast<float>(best.size());
  }

  Options options_;
  int num_boxes_ = 0;
  int box_len_ = kNumCoords;
  int classes_with_background_ = 0;
  int label_offset_ = 0;
  std::vector<Box> decoded_;
  std::vector<float> scores_;
};

}  // namespace

void RegisterDetectionPostProcessKernels(KernelRegistry& registry) {
  registry.AddCustom("TFLite_Detection_PostProcess", [] {
    return std::unique_ptr<OpKernel>(new DetectionPostProcessKernel());
  });
}

}  // namespace edgerun::kernels
