// Activation of a committed model version: nothing goes live before it was
// verified and self-tested.
//
//   ASSIGN_OR_RETURN(ActivationReport r,
//                    PrepareAndActivate(store, "kws", 7, {.reason = "update"},
//                    &log));
//
// Steps (docs/ota.md, "Activation and hot swap"):
//   1. every file listed in the version's manifest.json is re-hashed
//      (length + SHA-256) from the bytes that are then used: the model is
//      loaded from exactly the bytes that were hashed (no re-read);
//   2. LoadModel with full verification (Verification::kFull);
//   3. the self-test, when the version directory has one (see below), runs
//      on `options.interpreter` (the options that will serve it);
//   4. only then store.Activate(name, version, reason).
// A failure at any step changes nothing in the store. A failing self-test
// appends kSelfTestFailed and kRejected to `events` and returns
// kFailedPrecondition naming the worst output; a hash, load or malformed
// self-test error appends kRejected and returns that error (kDataLoss for a
// hash mismatch). Success appends kSelfTestPassed (when one ran) and
// kActivated. (The store has no "reject without activating" call, so a
// rejected version is recorded in the EventLog; ModelStore::History only
// shows versions that were rolled back from.)
//
// Self-test files in the version directory (the Updater writes them from
// the signed targets entry and lists them in the manifest; files that are
// not in the manifest are ignored):
//   selftest_input_<i>.npy   i = 0..N-1, the model's subgraph-0 inputs
//   selftest_output_<i>.npy  i = 0..M-1, the expected outputs
//   selftest.json            {"atol": <double >= 0>}; optional, atol 0
// No selftest_* file: no self-test (report.self_test_ran == false).
// Inputs without outputs, a gap in the numbering, or a malformed
// selftest.json: kInvalidArgument, the version is rejected.
//
// Crash points (Env::CrashPoint, for the kill -9 tests):
// "activation.verified", "activation.self_tested", "activation.activated".
//
// Ownership: nothing is kept; the store and the event log are borrowed.
// Thread-safety: reentrant; concurrent activations of the same name are
// serialized only by the store (the last Activate wins).
#ifndef EDGERUN_OTA_ACTIVATION_H_
#define EDGERUN_OTA_ACTIVATION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "edgerun/base/env.h"
#include "edgerun/base/status.h"
#include "edgerun/format/model_file.h"
#include "edgerun/ota/events.h"
#include "edgerun/ota/model_store.h"
#include "edgerun/ota/self_test.h"
#include "edgerun/runtime/interpreter.h"

namespace edgerun::ota {

struct ActivationOptions {
  // The options the model will be served with (the self-test runs on them).
  InterpreterOptions interpreter;
  // Recorded in the store history and the kActivated event.
  std::string reason;
  // File reads and crash points; null: Env::Default(). Must outlive the
  // call.
  Env* env = nullptr;
};

struct ActivationReport {
  int64_t version = 0;
  std::string model_sha256;
  bool self_test_ran = false;
  std::vector<SelfTestOutput> self_test_outputs;  // per output, when it ran
  double self_test_atol = 0;
  double self_test_rtol = 0;
  int64_t from_version = 0;  // active before (0: bundled / none)
};

// Hash-checks the committed version's files, LoadModel with full
// verification, runs its self-test (if the version dir has one) and only
// then store.Activate(name, version, reason). Nothing changes on failure.
// `events` may be null.
[[nodiscard]] StatusOr<ActivationReport> PrepareAndActivate(
    ModelStore& store, const std::string& name, int64_t version,
    const ActivationOptions& options, EventLog* events);

// What PrepareAndActivate verified and activated, with the loaded model
// (for callers that serve it right away, e.g. ManagedModel: no re-read).
struct ActivatedModel {
  ActivationReport report;
  std::shared_ptr<const ModelFile> model;
};
[[nodiscard]] StatusOr<ActivatedModel> PrepareAndActivateModel(
    ModelStore& store, const std::string& name, int64_t version,
    const ActivationOptions& options, EventLog* events);

// Reads `path` and loads it only when its SHA-256 equals `sha256` (the
// bytes loaded are the bytes hashed). kDataLoss on a mismatch.
[[nodiscard]] StatusOr<std::shared_ptr<const ModelFile>> LoadVerifiedModel(
    Env* env, const std::string& path, const std::string& sha256);

}  // namespace edgerun::ota

#endif  // EDGERUN_OTA_ACTIVATION_H_
