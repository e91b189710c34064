// Updater: the device side of over-the-air model updates. Checks the signed
// repository over HTTP, downloads and verifies new model versions into the
// ModelStore, and (optionally) activates them; docs/ota.md, "Update client".
//
//   ASSIGN_OR_RETURN(auto updater, Updater::Create(env, store, options, &log));
//   ASSIGN_OR_RETURN(CheckResult check, updater->CheckForUpdates());
//   for (const PendingUpdate& u : check.updates) {
//     RETURN_IF_ERROR(updater->Download(u));      // resumable, hash-checked
//     RETURN_IF_ERROR(updater->Activate(u));      // load + self-test + switch
//   }
//   // or: updater->UpdateAll(/*activate=*/true);
//
// CheckForUpdates, step by step:
//   1. GET timestamp.json with If-None-Match: <ETag of the last one>. A 304
//      means nothing new: exactly one small request. The cached timestamp
//      is still re-verified locally (signatures, expiry).
//   2. Only when the timestamp changed: walk root rotation (GET
//      <N+1>.root.json until 404) and verify the new timestamp with the
//      newest root (threshold, expiry, version >= the last one seen).
//   3. Only when the timestamp's targets meta changed: GET
//      <v>.targets.json (at most its signed length) and verify it (hash
//      and version against the timestamp = mix-and-match, threshold,
//      expiry, version >= the last one seen).
//   4. Per model: SelectUpdate(targets, model, active version, runtime)
//      and InRollout(device_id, model, rollout_percent). Models that are
//      pinned, out of the rollout, need a newer runtime, or whose offered
//      version was rejected on this device are listed in `skipped`.
// The verified metadata is persisted in <store>/metadata/ (root.json,
// timestamp.json, targets.json, state.json; each written temp + fsync +
// rename through the Env) only after it verified, so a refused document
// never replaces a trusted one and the versions seen only grow.
//
// Download: BeginStaging, then per file (model.tflite, the self-test .npy
// files) resume what an earlier attempt left (Range from StagedSize), fetch
// at most the signed length, CommitStaged with the signed SHA-256/length.
// A hash mismatch or a server sending more than the signed size discards
// the staging area (kDataLoss / kOutOfRange, event "rejected"); a cut or
// timed-out transfer keeps it for the next attempt (kUnavailable /
// kDeadlineExceeded). A committed version holds model.tflite, the self-test
// files as activation.h expects them (selftest_input_<i>.npy,
// selftest_output_<i>.npy, selftest.json with the signed atol) and
// target.json, the signed entry with local file names (docs/ota.md).
//
// Error codes: the verifier's (kPermissionDenied threshold, kDeadlineExceeded
// expired, kFailedPrecondition rollback, kDataLoss corrupt/tampered), the
// fetcher's (kUnavailable server down or cut short, kDeadlineExceeded
// timeout, kOutOfRange larger than signed), the store's (kResourceExhausted
// disk full). Messages are one line and say which document or file failed.
//
// Ownership: does not own the Env, the store or the EventLog (may be null);
// all three must outlive the Updater.
// Thread-safety: thread-safe; CheckForUpdates/Download/Activate/UpdateAll
// are serialized by one mutex (one update at a time). The background poller
// runs UpdateAll on its own thread. Lock order: poll_mu_ is never held while
// taking mu_ (the poller releases it before each run).
#ifndef EDGERUN_OTA_UPDATER_H_
#define EDGERUN_OTA_UPDATER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "edgerun/base/env.h"
#include "edgerun/base/status.h"
#include "edgerun/ota/events.h"
#include "edgerun/ota/http_fetcher.h"
#include "edgerun/ota/metadata.h"
#include "edgerun/ota/model_store.h"

namespace edgerun::ota {

// The file in a committed version directory that holds its signed entry.
inline constexpr char kTargetFileName[] = "target.json";

struct PendingUpdate;

struct UpdaterOptions {
  // Base URL of the repository: "http://127.0.0.1:8080/repo" (a trailing
  // '/' is optional).
  std::string repo_url;
  std::string device_id;     // staged rollout bucket (InRollout)
  std::string device_class;  // reported in events; device policy input
  std::string runtime_version = "0.1.0";
  // The root trusted out of band, used until <store>/metadata/root.json
  // exists: its bytes, or else a path read through the Env.
  std::string trusted_root;
  std::string trusted_root_path;
  // Only these models (empty: every model of targets.json).
  std::vector<std::string> models;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds metadata_timeout{10000};   // whole request
  std::chrono::milliseconds download_timeout{600000};  // whole request
  std::chrono::milliseconds stall_timeout{5000};
  // https: PEM file of the CA certificates to trust instead of the system
  // store (FetchOptions::ca_file); empty: the system store.
  std::string ca_file;
  // Root versions fetched in one check at most (a server cannot keep the
  // client walking forever).
  int max_root_rotations = 64;
  // Clock for expiry checks.
  std::function<TimePoint()> now = [] {
    return std::chrono::system_clock::now();
  };
  // Activates a committed version (load + self-test + switch). Unset: the
  // caller must pass one to Activate/UpdateAll (the CLI passes
  // PrepareAndActivate of activation.h).
  std::function<Status(ModelStore& store, const PendingUpdate& update,
                       EventLog* events)>
      activate;
};

// A model version to install.
struct PendingUpdate {
  std::string model;
  int64_t active_version = 0;  // 0: none / bundled
  TargetEntry entry;           // verified, from targets.json
};

// A model not updated, and why ("not in rollout (bucket 73 >= 50%)").
struct SkippedUpdate {
  std::string model;
  int64_t version = 0;  // the version offered (0: none)
  std::string reason;
};

struct CheckResult {
  // The timestamp was unchanged (304, or the same document): no metadata
  // beyond the one conditional request was fetched.
  bool metadata_unchanged = false;
  int64_t root_version = 0;
  int64_t timestamp_version = 0;
  int64_t targets_version = 0;
  int http_requests = 0;  // requests made by this check
  std::vector<PendingUpdate> updates;
  std::vector<SkippedUpdate> skipped;
};

struct UpdateAllResult {
  CheckResult check;
  std::vector<std::string> installed;  // "name@version" downloaded (+activated)
};

class Updater {
 public:
  // kInvalidArgument for a missing repo_url, device id or unusable
  // runtime_version; kNotFound/kDataLoss/kPermissionDenied when no usable
  // trusted root is given or stored.
  static StatusOr<std::unique_ptr<Updater>> Create(Env* env, ModelStore* store,
                                                   UpdaterOptions options,
                                                   EventLog* events);
  ~Updater();  // stops the poller
  Updater(const Updater&) = delete;
  Updater& operator=(const Updater&) = delete;

  StatusOr<CheckResult> CheckForUpdates();
  // Downloads, verifies and commits `update` into the store (nothing to do
  // when that version is committed already).
  Status Download(const PendingUpdate& update);
  // Runs options.activate (or `activate` when given) on a committed version.
  Status Activate(const PendingUpdate& update);
  // Check, then download (and activate) every pending update. Stops at the
  // first refusal of the metadata; per-model failures are collected and the
  // first one is returned after the other models were tried.
  StatusOr<UpdateAllResult> UpdateAll(bool activate);

  // Background poller: UpdateAll(activate) every `interval` +/- jitter
  // (a fraction of interval, 0..1; per-device deterministic seed from the
  // device id). Errors become events. kFailedPrecondition when running.
  Status StartPolling(std::chrono::milliseconds interval, double jitter,
                      bool activate);
  // Stops and joins the poller (waits for a running update to end).
  void StopPolling();
  uint64_t poll_runs() const;

  const UpdaterOptions& options() const { return options_; }

 private:
  struct Trust;  // the verified metadata, cached in <store>/metadata/

  Updater(Env* env, ModelStore* store, UpdaterOptions options,
          EventLog* events);

  Status LoadTrust();
  StatusOr<CheckResult> CheckLocked();
  Status DownloadLocked(const PendingUpdate& update);
  Status ActivateLocked(const PendingUpdate& update);
  Status FetchFile(const Staging& staging, const std::string& local_name,
                   const FileRef& ref, const PendingUpdate& update);
  Status SaveMetadata(const std::string& file, const std::string& bytes);
  void Emit(UpdateEventType type, const std::string& model, int64_t version,
            const std::string& reason, int64_t from_version = -1);
  // The error as a rejected/error event, returned unchanged.
  Status Fail(const Status& status, const std::string& model, int64_t version);
  std::string Url(const std::string& path) const;
  FetchOptions MetadataFetchOptions(uint64_t max_bytes) const;
  void PollLoop(std::chrono::milliseconds interval, double jitter,
                bool activate);

  Env* const env_;
  ModelStore* const store_;
  const UpdaterOptions options_;
  EventLog* const events_;
  const std::string metadata_dir_;
  HttpFetcher fetcher_;

  std::mutex mu_;                 // serializes updates
  std::unique_ptr<Trust> trust_;  // guarded by mu_

  mutable std::mutex poll_mu_;
  std::condition_variable poll_cv_;
  bool poll_stop_ = false;  // guarded by poll_mu_
  uint64_t poll_runs_ = 0;  // guarded by poll_mu_
  std::thread poller_;      // started/joined under control of poll_mu_ users
};

// Reads a committed version's target.json (written by the Updater): the
// signed entry with the names of its files in the version directory.
struct InstalledTarget {
  std::string name;
  int64_t version = 0;
  std::string model_file = kModelFileName;
  std::string sha256;
  uint64_t length = 0;
  std::vector<std::string> self_test_inputs;   // file names, in order
  std::vector<std::string> self_test_outputs;  // file names, in order
  std::optional<double> atol;
  std::optional<double> rtol;
};
StatusOr<InstalledTarget> ReadInstalledTarget(Env* env,
                                              const std::string& version_dir);

}  // namespace edgerun::ota

#endif  // EDGERUN_OTA_UPDATER_H_
