#include "tools/edgerun/run_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "edgerun/format/metadata.h"
#include "edgerun/format/model_file.h"
#include "edgerun/io/npy.h"
#include "edgerun/runtime/interpreter.h"
#include "tools/edgerun/tensor_inputs.h"

namespace edgerun::cli {
namespace {

std::string ShapeText(DataType type, const std::vector<int32_t>& shape) {
  std::string s(DataTypeName(type));
  s += "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

// Element i of an output as a real number (dequantized when quantized).
double RealValue(const TensorRef& t, int64_t i) {
  double q = 0;
  switch (t.type()) {
    case DataType::kFloat32: return t.data_as<float>()[i];
    case DataType::kUInt8: q = t.data_as<uint8_t>()[i]; break;
    case DataType::kInt8: q = t.data_as<int8_t>()[i]; break;
    case DataType::kInt16: q = t.data_as<int16_t>()[i]; break;
    case DataType::kInt32: q = t.data_as<int32_t>()[i]; break;
    case DataType::kInt64: q = static_cast<double>(t.data_as<int64_t>()[i]); break;
    case DataType::kBool: q = t.data_as<bool>()[i]; break;
    default: return 0;
  }
  if (!t.scale().empty() && t.scale()[0] != 0) {
    const double zp = t.zero_point().empty() ? 0 : static_cast<double>(t.zero_point()[0]);
    return t.scale()[0] * (q - zp);
  }
  return q;
}

StatusOr<std::vector<std::string>> ReadLabelFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot open labels file '" + path + "'");
  const std::string text((std::istreambuf_iterator<char>(in)),
                         std::istreambuf_iterator<char>());
  return SplitLabels(std::span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

class RunCommand final : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "run", "Run a model once on the CPU and summarize its outputs");
    sub->add_option("model", model_path_, "The .tflite model")->required();
    sub->add_option("--input", inputs_,
                    "Input file per model input, in order: .npy, raw bytes, "
                    ".bmp/.png/.jpg, or '-' for seeded random values");
    sub->add_option("--output-dir", output_dir_, "Write output_<i>.npy here");
    sub->add_option("--labels", labels_path_,
                    "Label file (one per line) for classifier outputs; "
                    "default: labels embedded in the model");
    sub->add_option("--top-k", top_k_, "Classes to show for classifiers")
        ->check(CLI::Range(1, 1000));
    sub->add_option("--seed", seed_, "Seed of random inputs (same generator "
                                     "as the golden seedN cases)");
    return sub;
  }

  int Run(std::ostream& out, std::ostream& err) override {
    auto fail = [&](const Status& s, int code) {
      err << ErrorLine("run", model_path_, s) << "\n";
      return code;
    };
    StatusOr<std::shared_ptr<const ModelFile>> model = LoadModelFromFile(model_path_);
    if (!model.ok()) return fail(model.status(), kExitUsage);
    StatusOr<std::unique_ptr<Interpreter>> created = Interpreter::Create(*model);
    if (!created.ok()) return fail(created.status(), kExitUsage);
    Interpreter& interp = **created;
    if (Status s = interp.AllocateTensors(); !s.ok()) return fail(s, kExitUsage);
    if (static_cast<int>(inputs_.size()) > interp.num_inputs()) {
      return fail(InvalidArgumentError(
                      std::to_string(inputs_.size()) + " --input given, model has " +
                      std::to_string(interp.num_inputs()) + " inputs"),
                  kExitUsage);
    }
    StatusOr<ModelMetadataInfo> metadata = ReadModelMetadata(**model);

    out << "model: " << model_path_ << " (" << interp.num_nodes() << " nodes)\n";
    for (int i = 0; i < interp.num_inputs(); ++i) {
      TensorRef t = interp.input(i);
      InputSpec spec{t.name(), t.type(), t.shape(), t.scale(), t.zero_point(), {}};
      if (metadata.ok() && !metadata->subgraphs.empty() &&
          static_cast<size_t>(i) < metadata->subgraphs[0].inputs.size()) {
        spec.normalization = metadata->subgraphs[0].inputs[i].normalization;
      }
      const bool from_file = i < static_cast<int>(inputs_.size()) && inputs_[i] != "-";
      StatusOr<PreparedInput> prepared =
          from_file ? LoadInputFile(inputs_[i], spec) : RandomInput(spec, seed_, i);
      if (!prepared.ok()) return fail(prepared.status(), kExitUsage);
      if (prepared->shape != spec.shape) {
        if (Status s = interp.ResizeInput(i, prepared->shape); !s.ok()) {
          return fail(s, kExitUsage);
        }
        if (Status s = interp.AllocateTensors(); !s.ok()) return fail(s, kExitUsage);
      }
      if (Status s = interp.SetInput(i, prepared->bytes); !s.ok()) {
        return fail(s, kExitUsage);
      }
      out << "input " << i << " '" << t.name() << "' "
          << ShapeText(t.type(), interp.input(i).shape()) << ": "
          << prepared->description << "\n";
    }
    const auto start = std::chrono::steady_clock::now();
    if (Status s = interp.Invoke(); !s.ok()) return fail(s, kExitFailure);
    const double ms = std::chrono::duration<double, std::milli>(
                          std::chrono::steady_clock::now() - start)
                          .count();
    char line[128];
    std::snprintf(line, sizeof(line), "invoke: %.2f ms (first inference, 1 thread)\n", ms);
    out << line;

    if (!output_dir_.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(output_dir_, ec);
      for (int o = 0; o < interp.num_outputs(); ++o) {
        TensorRef t = interp.output(o);
        NpyArray array;
        array.type = t.type();
        for (int32_t d : t.shape()) array.shape.push_back(d);
        const auto* p = static_cast<const uint8_t*>(t.data());
        array.data.assign(p, p + t.bytes());
        const std::string path = output_dir_ + "/output_" + std::to_string(o) + ".npy";
        if (Status s = WriteNpy(path, array); !s.ok()) return fail(s, kExitFailure);
      }
      out << "wrote " << interp.num_outputs() << " outputs to " << output_dir_ << "\n";
    }

    std::vector<std::string> labels;
    if (!labels_path_.empty()) {
      StatusOr<std::vector<std::string>> read = ReadLabelFile(labels_path_);
      if (!read.ok()) return fail(read.status(), kExitUsage);
      labels = *read;
    } else if (StatusOr<std::vector<std::string>> embedded = ReadLabels(**model);
               embedded.ok()) {
      labels = *embedded;
    }
    PrintOutputs(interp, labels, out);
    return kExitOk;
  }

 private:
  void PrintOutputs(Interpreter& interp, const std::vector<std::string>& labels,
                    std::ostream& out) const {
    for (int o = 0; o < interp.num_outputs(); ++o) {
      TensorRef t = interp.output(o);
      out << "output " << o << " '" << t.name() << "' "
          << ShapeText(t.type(), t.shape());
      if (!t.scale().empty()) {
        out << " (scale " << t.scale()[0] << ", zero point "
            << (t.zero_point().empty() ? 0 : t.zero_point()[0]) << ")";
      }
      out << "\n";
    }
    if (IsDetection(interp)) return PrintDetections(interp, labels, out);
    if (interp.num_outputs() == 1 && IsClassifier(interp.output(0))) {
      return PrintTopK(interp.output(0), labels, out);
    }
    for (int o = 0; o < interp.num_outputs(); ++o) {
      TensorRef t = interp.output(o);
      const int64_t n = t.num_elements();
      if (n == 0) continue;
      double lo = RealValue(t, 0), hi = lo, sum = 0;
      for (int64_t i = 0; i < n; ++i) {
        const double v = RealValue(t, i);
        lo = std::min(lo, v);
        hi = std::max(hi, v);
        sum += v;
      }
      char line[160];
      std::snprintf(line, sizeof(line), "output %d values: min %.6g, max %.6g, mean %.6g\n",
                    o, lo, hi, sum / static_cast<double>(n));
      out << line;
    }
  }

  static bool IsClassifier(const TensorRef& t) {
    const std::vector<int32_t> s = t.shape();
    const bool vector_like = (s.size() == 2 && s[0] == 1) || s.size() == 1;
    return vector_like && t.num_elements() >= 2 && t.type() != DataType::kInt64;
  }

  // TFLite_Detection_PostProcess layout: boxes [1,N,4], classes [1,N],
  // scores [1,N], count [1].
  static bool IsDetection(Interpreter& interp) {
    if (interp.num_outputs() != 4) return false;
    const std::vector<int32_t> boxes = interp.output(0).shape();
    return boxes.size() == 3 && boxes[2] == 4 && interp.output(3).num_elements() == 1 &&
           interp.output(0).type() == DataType::kFloat32;
  }

  void PrintTopK(const TensorRef& t, const std::vector<std::string>& labels,
                 std::ostream& out) const {
    const int64_t n = t.num_elements();
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    const int64_t k = std::min<int64_t>(top_k_, n);
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](int64_t a, int64_t b) {
                        const double va = RealValue(t, a), vb = RealValue(t, b);
                        return va > vb || (va == vb && a < b);
                      });
    out << "top-" << k << ":\n";
    for (int64_t r = 0; r < k; ++r) {
      const int64_t c = order[r];
      char line[64];
      std::snprintf(line, sizeof(line), "  %2lld. %8.5f  [%lld] ",
                    static_cast<long long>(r + 1), RealValue(t, c),
                    static_cast<long long>(c));
      out << line << (static_cast<size_t>(c) < labels.size() ? labels[c] : "") << "\n";
    }
  }

  static void PrintDetections(Interpreter& interp, const std::vector<std::string>& labels,
                              std::ostream& out) {
    TensorRef boxes = interp.output(0), classes = interp.output(1),
              scores = interp.output(2), count = interp.output(3);
    const int64_t max_n = classes.num_elements();
    const int64_t n = std::clamp<int64_t>(static_cast<int64_t>(RealValue(count, 0)), 0, max_n);
    out << "detections: " << n << "\n";
    for (int64_t i = 0; i < n; ++i) {
      const int cls = static_cast<int>(RealValue(classes, i));
      char line[160];
      std::snprintf(line, sizeof(line),
                    "  %2lld. score %.4f  class %d  box [ymin %.4f, xmin %.4f, ymax %.4f, xmax %.4f] ",
                    static_cast<long long>(i + 1), RealValue(scores, i), cls,
                    RealValue(boxes, 4 * i), RealValue(boxes, 4 * i + 1),
                    RealValue(boxes, 4 * i + 2), RealValue(boxes, 4 * i + 3));
      out << line
          << (cls >= 0 && static_cast<size_t>(cls) < labels.size() ? labels[cls] : "")
          << "\n";
    }
  }

  std::string model_path_;
  std::vector<std::string> inputs_;
  std::string output_dir_;
  std::string labels_path_;
  int top_k_ = 5;
  uint32_t seed_ = 1;
};

}  // namespace

std::unique_ptr<Command> MakeRunCommand() { return std::make_unique<RunCommand>(); }

}  // namespace edgerun::cli
