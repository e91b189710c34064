#include "tools/edgerun/diff_command.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "edgerun/format/model_file.h"
#include "edgerun/io/tensor_compare.h"
#include "edgerun/runtime/interpreter.h"
#include "tools/edgerun/interpreter_setup.h"

namespace edgerun::cli {
namespace {

DiffOutputHook& OutputHook() {
  static DiffOutputHook hook;
  return hook;
}

TensorValues ValuesOf(const TensorRef& t) {
  TensorValues v;
  v.type = t.type();
  v.shape = t.shape();
  v.bytes = std::span<const uint8_t>(static_cast<const uint8_t*>(t.data()),
                                     t.bytes());
  v.scale = t.scale();
  v.zero_point = t.zero_point();
  v.quantized_dimension = t.quantized_dimension();
  return v;
}

std::string ShapeText(const std::vector<int32_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

class DiffCommand final : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "diff",
        "Compare a model's outputs on two backend sets (test vs reference)");
    sub->add_option("model", model_path_, "The .tflite model")->required();
    sub->add_option("--backends", backends_,
                    "Test backends, e.g. 'xnnpack,cpu'")
        ->required();
    sub->add_option("--reference", reference_, "Reference backends")
        ->capture_default_str();
    runs_option_ =
        sub->add_option("--runs", runs_,
                        "Input sets to compare (default 1 with --input files)")
            ->check(CLI::Range(1, 1000000))
            ->capture_default_str();
    sub->add_option(
        "--input", inputs_,
        "Input file per model input (.npy, raw, image) or '-' for random; "
        "used in every run");
    sub->add_option("--seed", seed_,
                    "Seed of run 0's random inputs (run r: seed + r)")
        ->capture_default_str();
    sub->add_option("--threads", threads_, "Threads of the test backends")
        ->check(CLI::Range(1, 256))
        ->capture_default_str();
    sub->add_option(
           "--tolerance", tolerance_,
           "Largest allowed absolute error (real units); 0 = exact match")
        ->check(CLI::Range(0.0, 1e300))
        ->capture_default_str();
    sub->add_flag("--json", json_,
                  "Print one JSON document (keys: docs/bench.md)");
    return sub;
  }

  int Run(std::ostream& out, std::ostream& err) override {
    auto fail = [&](const Status& s, int code) {
      err << ErrorLine("diff", model_path_, s) << "\n";
      return code;
    };
    StatusOr<std::vector<std::string>> test_backends =
        ParseBackendList(backends_);
    if (!test_backends.ok()) return fail(test_backends.status(), kExitUsage);
    StatusOr<std::vector<std::string>> ref_backends =
        ParseBackendList(reference_);
    if (!ref_backends.ok()) return fail(ref_backends.status(), kExitUsage);

    StatusOr<std::shared_ptr<const ModelFile>> model =
        LoadModelFromFile(model_path_);
    if (!model.ok()) return fail(model.status(), kExitUsage);
    InterpreterOptions test_options;
    test_options.backends = *test_backends;
    test_options.num_threads = threads_;
    InterpreterOptions ref_options;
    ref_options.backends = *ref_backends;
    StatusOr<std::unique_ptr<Interpreter>> test =
        Interpreter::Create(*model, test_options);
    if (!test.ok())
      return fail(test.status().WithContext("test backends"), kExitUsage);
    StatusOr<std::unique_ptr<Interpreter>> ref =
        Interpreter::Create(*model, ref_options);
    if (!ref.ok())
      return fail(ref.status().WithContext("reference backends"), kExitUsage);
    if (Status s = (*test)->AllocateTensors(); !s.ok()) {
      return fail(s.WithContext("test backends"), kExitUsage);
    }
    if (Status s = (*ref)->AllocateTensors(); !s.ok()) {
      return fail(s.WithContext("reference backends"), kExitUsage);
    }
    const std::vector<InputSpec> specs = InputSpecs(**ref, **model);
    const int num_outputs = (*ref)->num_outputs();
    std::vector<ErrorAccumulator> errors(static_cast<size_t>(num_outputs));
    std::vector<std::string> sources;

    // The same files every run only re-checks determinism: once is enough
    // unless asked for more.
    if (!inputs_.empty() && runs_option_->count() == 0) runs_ = 1;
    for (int r = 0; r < runs_; ++r) {
      StatusOr<std::vector<PreparedInput>> inputs =
          PrepareInputs(specs, inputs_, seed_ + static_cast<uint32_t>(r));
      if (!inputs.ok()) return fail(inputs.status(), kExitUsage);
      if (r == 0) {
        for (const PreparedInput& in : *inputs)
          sources.push_back(in.description);
      }
      if (Status s = ApplyInputs(**test, *inputs); !s.ok())
        return fail(s, kExitUsage);
      if (Status s = ApplyInputs(**ref, *inputs); !s.ok())
        return fail(s, kExitUsage);
      if (Status s = (*test)->Invoke(); !s.ok()) {
        return fail(s.WithContext("test backends, run " + std::to_string(r)),
                    kExitFailure);
      }
      if (Status s = (*ref)->Invoke(); !s.ok()) {
        return fail(
            s.WithContext("reference backends, run " + std::to_string(r)),
            kExitFailure);
      }
      for (int o = 0; o < num_outputs; ++o) {
        TensorRef t = (*test)->output(o);
        if (OutputHook()) {
          OutputHook()(
              r, o,
              std::span<uint8_t>(static_cast<uint8_t*>(t.data()), t.bytes()));
        }
        if (Status s = errors[o].Add(ValuesOf(t), ValuesOf((*ref)->output(o)));
            !s.ok()) {
          return fail(s.WithContext("output " + std::to_string(o) + " '" +
                                    t.name() + "', run " + std::to_string(r)),
                      kExitFailure);
        }
      }
    }

    // ---- report
    if (!json_) {
      std::string seeds = "seed " + std::to_string(seed_);
      if (runs_ > 1) {
        seeds = "seeds " + std::to_string(seed_) + ".." +
                std::to_string(seed_ + static_cast<uint32_t>(runs_ - 1));
      }
      out << "model: " << model_path_ << ", " << runs_
          << (runs_ == 1 ? " run" : " runs")
          << ", inputs: " << (inputs_.empty() ? "random, " + seeds : "files")
          << "\n";
      out << "test: " << JoinBackends(*test_backends) << " ("
          << PlanSummary((*test)->execution_plan()) << ")\n";
      out << "reference: " << JoinBackends(*ref_backends) << " ("
          << PlanSummary((*ref)->execution_plan()) << ")\n";
    }
    int worst = -1;
    double worst_error = -1;
    nlohmann::json outputs = nlohmann::json::array();
    for (int o = 0; o < num_outputs; ++o) {
      const ErrorStats e = errors[o].stats();
      const bool ok = WithinTolerance(e, tolerance_);
      const double severity = e.nan_mismatches > 0 ? 1e308 : e.max_abs_error;
      if (!ok && severity > worst_error) {
        worst = o;
        worst_error = severity;
      }
      TensorRef t = (*ref)->output(o);
      if (json_) {
        outputs.push_back(
            {{"index", o},
             {"name", t.name()},
             {"dtype", std::string(DataTypeName(t.type()))},
             {"shape", t.shape()},
             {"quantized", !t.scale().empty()},
             {"elements", e.elements},
             {"mismatched_elements", e.mismatched},
             {"nan_mismatches", e.nan_mismatches},
             {"max_abs_error", e.max_abs_error},
             {"min_abs_error", e.min_abs_error},
             {"mean_abs_error", e.mean_abs_error},
             {"std_abs_error", e.std_abs_error},
             {"max_raw_diff", e.integer ? nlohmann::json(e.max_raw_diff)
                                        : nlohmann::json(nullptr)},
             {"within_tolerance", ok}});
        continue;
      }
      char line[512];
      std::snprintf(
          line, sizeof(line),
          "output %d '%s' %s%s: max %.6g, min %.6g, mean %.6g, std %.6g", o,
          t.name().c_str(), std::string(DataTypeName(t.type())).c_str(),
          ShapeText(t.shape()).c_str(), e.max_abs_error, e.min_abs_error,
          e.mean_abs_error, e.std_abs_error);
      out << line;
      if (e.integer) out << ", max raw diff " << e.max_raw_diff;
      out << ", mismatched " << e.mismatched << "/"
          << e.elements + e.nan_mismatches;
      if (e.nan_mismatches > 0)
        out << ", nan/inf mismatches " << e.nan_mismatches;
      out << (ok ? "  ok" : "  EXCEEDS TOLERANCE") << "\n";
    }
    if (json_) {
      nlohmann::json j;
      j["format"] = "edgerun diff v1";
      j["model"] = model_path_;
      j["backends"] = *test_backends;
      j["reference"] = *ref_backends;
      j["threads"] = threads_;
      j["runs"] = runs_;
      j["seed"] = seed_;
      j["inputs"] = sources;
      j["tolerance"] = tolerance_;
      j["test_plan"] = PlanSummary((*test)->execution_plan());
      j["reference_plan"] = PlanSummary((*ref)->execution_plan());
      j["outputs"] = outputs;
      j["pass"] = worst < 0;
      out << j.dump(2) << "\n";
    } else {
      out << (worst < 0 ? "PASS" : "FAIL") << " (tolerance " << tolerance_
          << ")\n";
    }
    if (worst >= 0) {
      const ErrorStats e = errors[worst].stats();
      char msg[256];
      if (e.nan_mismatches > 0) {
        std::snprintf(msg, sizeof(msg),
                      "%lld elements are NaN/Inf on one side only",
                      static_cast<long long>(e.nan_mismatches));
      } else {
        std::snprintf(msg, sizeof(msg),
                      "max abs error %.6g exceeds tolerance %.6g",
                      e.max_abs_error, tolerance_);
      }
      return fail(OutOfRangeError("output " + std::to_string(worst) + " '" +
                                  (*ref)->output(worst).name() + "': " + msg),
                  kExitFailure);
    }
    return kExitOk;
  }

 private:
  std::string model_path_;
  std::string backends_;
  std::string reference_ = "cpu";
  int runs_ = 50;
  CLI::Option* runs_option_ = nullptr;
  std::vector<std::string> inputs_;
  uint32_t seed_ = 1;
  int threads_ = 1;
  double tolerance_ = 0;
  bool json_ = false;
};

}  // namespace

std::unique_ptr<Command> MakeDiffCommand() {
  return std::make_unique<DiffCommand>();
}

void SetDiffOutputHookForTesting(DiffOutputHook hook) {
  OutputHook() = std::move(hook);
}

}  // namespace edgerun::cli
