#include "edgerun/ota/self_test.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <utility>

#include "edgerun/io/npy.h"

namespace edgerun::ota {

using json = nlohmann::json;
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

// "0.5", or "atol 0.5 + rtol 0.01 x |expected|" with a relative part.
std::string ToleranceText(double atol, double rtol) {
  if (rtol == 0) return Number(atol);
  return "atol " + Number(atol) + " + rtol " + Number(rtol) + " x |expected|";
}

std::string FailureText(const SelfTestOutput& o, double atol, double rtol) {
  const std::string label = TensorLabel("output", o.index, o.name);
  if (o.stats.nan_mismatches > 0) {
    return label + " has " + std::to_string(o.stats.nan_mismatches) +
           " NaN/Inf mismatches (tolerance " + ToleranceText(atol, rtol) + ")";
  }
  if (rtol != 0) {
    return label + " has " + std::to_string(o.stats.out_of_tolerance) + " of " +
           std::to_string(o.stats.elements) + " elements beyond " +
           ToleranceText(atol, rtol) + " (max abs error " +
           Number(o.stats.max_abs_error) + ")";
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
  s += " (tolerance " + ToleranceText(atol, rtol) + ")";
  return s;
}

std::string SelfTestInputFile(int index) {
  return "selftest_input_" + std::to_string(index) + ".npy";
}
std::string SelfTestOutputFile(int index) {
  return "selftest_output_" + std::to_string(index) + ".npy";
}

StatusOr<Tolerance> ParseSelfTestConfig(std::string_view text) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgumentError("selftest.json: not a JSON object");
  }
  for (const auto& [key, _] : j.items()) {
    if (key != "atol" && key != "rtol") {
      return InvalidArgumentError("selftest.json: unknown key '" + key + "'");
    }
  }
  if (!j.contains("atol"))
    return InvalidArgumentError("selftest.json: 'atol' must be a number");
  Tolerance t;
  for (const char* key : {"atol", "rtol"}) {
    if (!j.contains(key)) continue;
    const std::string name = key;
    if (!j[key].is_number()) {
      return InvalidArgumentError("selftest.json: '" + name +
                                  "' must be a number");
    }
    const double v = j[key].get<double>();
    if (!std::isfinite(v) || v < 0) {
      return InvalidArgumentError("selftest.json: '" + name +
                                  "' must be finite and >= 0");
    }
    (name == "atol" ? t.atol : t.rtol) = v;
  }
  return t;
}

std::string SelfTestConfigJson(double atol, double rtol) {
  json j = {{"atol", atol}};
  if (rtol != 0) j["rtol"] = rtol;
  return j.dump() + "\n";
}

StatusOr<SelfTestReport> RunSelfTest(std::shared_ptr<const ModelFile> model,
                                     const SelfTestSpec& spec,
                                     const InterpreterOptions& options) {
  if (model == nullptr) return InvalidArgumentError("self-test: no model");
  if (!(spec.atol >= 0)) {  // also rejects NaN
    return InvalidArgumentError("self-test: tolerance " + Number(spec.atol) +
                                " must be >= 0");
  }
  if (!(spec.rtol >= 0)) {
    return InvalidArgumentError("self-test: relative tolerance " +
                                Number(spec.rtol) + " must be >= 0");
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
  report.rtol = spec.rtol;
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
    ErrorAccumulator acc(Tolerance{spec.atol, spec.rtol});
    if (Status s = acc.Add(got, ref); !s.ok()) {
      return s.WithContext("self-test " + TensorLabel("output", o, t.name()));
    }
    SelfTestOutput out;
    out.index = o;
    out.name = t.name();
    out.stats = acc.stats();
    out.pass = WithinAccumulatorTolerance(out.stats);
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
    report.status = FailedPreconditionError(
        "self-test failed: " + FailureText(*worst, spec.atol, spec.rtol));
  }
  return report;
}

}  // namespace edgerun::ota
