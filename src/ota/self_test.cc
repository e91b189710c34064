#include "edgerun/ota/self_test.h"

#include <cstdio>
#include <span>
#include <string>
#include <utility>

#include "edgerun/io/npy.h"

namespace edgerun::ota {
namespace {

template <typename T>
std::string ShapeText(const std::vector<T>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

std::string TensorLabel(const char* kind, int index, const std::string& name) {
  return std::string(kind) + " " + std::to_string(index) + " ('" + name + "')";
}

std::string Name(DataType type) {
  const std::string_view n = DataTypeName(type);
  return n.empty() ? "dtype " + std::to_string(static_cast<int>(type))
                   : std::string(n);
}

// The array must be exactly what the model tensor holds: same dtype, same
// shape (no implicit resize: a self-test pins the model's interface).
Status CheckArray(const char* kind, int index, const TensorRef& t,
                  const NpyArray& a) {
  if (a.type != t.type()) {
    return InvalidArgumentError(
        "self-test " + TensorLabel(kind, index, t.name()) + ": array has " +
        Name(a.type) + ", model has " + Name(t.type()));
  }
  const std::vector<int32_t> shape = t.shape();
  bool same = shape.size() == a.shape.size();
  for (size_t d = 0; same && d < shape.size(); ++d)
    same = shape[d] == a.shape[d];
  if (!same) {
    return InvalidArgumentError(
        "self-test " + TensorLabel(kind, index, t.name()) + ": array shape " +
        ShapeText(a.shape) + ", model has " + ShapeText(shape));
  }
  if (a.data.size() != t.bytes()) {
    return InvalidArgumentError(
        "self-test " + TensorLabel(kind, index, t.name()) + ": array has " +
        std::to_string(a.data.size()) + " bytes, model tensor " +
        std::to_string(t.bytes()));
  }
  return OkStatus();
}

std::string Number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

std::string FailureText(const SelfTestOutput& o, double atol) {
  const std::string label = TensorLabel("output", o.index, o.name);
  if (o.stats.nan_mismatches > 0) {
    return label + " has " + std::to_string(o.stats.nan_mismatches) +
           " NaN/Inf mismatches (tolerance " + Number(atol) + ")";
  }
  return label + " max abs error " + Number(o.stats.max_abs_error) +
         " > tolerance " + Number(atol);
}

}  // namespace

std::string SelfTestReport::ToString() const {
  std::string s;
  for (const SelfTestOutput& o : outputs) {
    s += TensorLabel("output", o.index, o.name) + ": max abs error " +
         Number(o.stats.max_abs_error) + ", mismatched " +
         std::to_string(o.stats.mismatched) + "/" +
         std::to_string(o.stats.elements + o.stats.nan_mismatches);
    if (o.stats.nan_mismatches > 0)
      s += ", nan/inf mismatches " + std::to_string(o.stats.nan_mismatches);
    s += o.pass ? "  ok\n" : "  EXCEEDS TOLERANCE\n";
  }
  s += passed ? "self-test passed" : status.message();
  s += " (tolerance " + Number(atol) + ")";
  return s;
}

StatusOr<SelfTestReport> RunSelfTest(std::shared_ptr<const ModelFile> model,
                                     const SelfTestSpec& spec,
                                     const InterpreterOptions& options) {
  if (model == nullptr) return InvalidArgumentError("self-test: no model");
  if (!(spec.atol >= 0)) {  // also rejects NaN
    return InvalidArgumentError("self-test: tolerance " + Number(spec.atol) +
                                " must be >= 0");
  }
  StatusOr<std::unique_ptr<Interpreter>> created =
      Interpreter::Create(std::move(model), options);
  if (!created.ok()) return created.status().WithContext("self-test");
  Interpreter& interp = **created;
  if (Status s = interp.AllocateTensors(); !s.ok())
    return s.WithContext("self-test");

  if (static_cast<int>(spec.input_npy.size()) != interp.num_inputs()) {
    return InvalidArgumentError(
        "self-test has " + std::to_string(spec.input_npy.size()) +
        " input arrays, model has " + std::to_string(interp.num_inputs()) +
        " inputs");
  }
  if (static_cast<int>(spec.expected_output_npy.size()) !=
      interp.num_outputs()) {
    return InvalidArgumentError(
        "self-test has " + std::to_string(spec.expected_output_npy.size()) +
        " expected output arrays, model has " +
        std::to_string(interp.num_outputs()) + " outputs");
  }

  for (int i = 0; i < interp.num_inputs(); ++i) {
    TensorRef t = interp.input(i);
    StatusOr<NpyArray> a = ParseNpy(spec.input_npy[static_cast<size_t>(i)]);
    if (!a.ok()) {
      return a.status().WithContext("self-test " +
                                    TensorLabel("input", i, t.name()));
    }
    RETURN_IF_ERROR(CheckArray("input", i, t, *a));
    RETURN_IF_ERROR(interp.SetInput(i, a->data));
  }
  if (Status s = interp.Invoke(); !s.ok()) return s.WithContext("self-test");

  SelfTestReport report;
  report.atol = spec.atol;
  report.passed = true;
  const SelfTestOutput* worst = nullptr;
  double worst_severity = -1;
  for (int o = 0; o < interp.num_outputs(); ++o) {
    TensorRef t = interp.output(o);
    StatusOr<NpyArray> want =
        ParseNpy(spec.expected_output_npy[static_cast<size_t>(o)]);
    if (!want.ok()) {
      return want.status().WithContext("self-test expected " +
                                       TensorLabel("output", o, t.name()));
    }
    RETURN_IF_ERROR(CheckArray("output", o, t, *want));
    TensorValues got;
    got.type = t.type();
    got.shape = t.shape();
    got.bytes = std::span<const uint8_t>(
        static_cast<const uint8_t*>(std::as_const(t).data()), t.bytes());
    got.scale = t.scale();
    got.zero_point = t.zero_point();
    got.quantized_dimension = t.quantized_dimension();
    TensorValues ref = got;  // the model's quantization reads both sides
    ref.bytes = want->data;
    ErrorAccumulator acc;
    if (Status s = acc.Add(got, ref); !s.ok()) {
      return s.WithContext("self-test " + TensorLabel("output", o, t.name()));
    }
    SelfTestOutput out;
    out.index = o;
    out.name = t.name();
    out.stats = acc.stats();
    out.pass = WithinTolerance(out.stats, spec.atol);
    report.outputs.push_back(std::move(out));
  }
  for (const SelfTestOutput& out : report.outputs) {
    if (out.pass) continue;
    report.passed = false;
    const double severity =
        out.stats.nan_mismatches > 0 ? 1e308 : out.stats.max_abs_error;
    if (severity > worst_severity) {
      worst = &out;
      worst_severity = severity;
    }
  }
  if (worst != nullptr) {
    report.status = FailedPreconditionError("self-test failed: " +
                                            FailureText(*worst, spec.atol));
  }
  return report;
}

}  // namespace edgerun::ota
