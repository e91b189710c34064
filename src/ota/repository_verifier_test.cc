// The verifier against good chains and every attack it must refuse; all
// documents are built and signed in memory.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "edgerun/ota/verifier.h"

namespace edgerun::ota {
namespace {

using nlohmann::json;
using std::chrono::hours;

TimePoint T(const char* s) { return *ParseTime(s); }

std::vector<uint8_t> B(const std::string& s) { return {s.begin(), s.end()}; }

class VerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 3; ++i) root_keys_.push_back(GenerateSigningKey());
    targets_key_ = GenerateSigningKey();
    timestamp_key_ = GenerateSigningKey();
    root_ = MakeRoot(1, root_keys_, 2);
    model_ = B("pretend this is a model");
  }

  Root MakeRoot(int64_t version, const std::vector<SigningKey>& root_keys,
                int threshold) {
    Root r;
    r.version = version;
    r.expires = T("2027-01-01T00:00:00Z");
    for (const SigningKey& k : root_keys) {
      r.keys[k.keyid] = k.Public();
      r.root.keyids.push_back(k.keyid);
    }
    r.root.threshold = threshold;
    r.keys[targets_key_.keyid] = targets_key_.Public();
    r.keys[timestamp_key_.keyid] = timestamp_key_.Public();
    r.targets = {{targets_key_.keyid}, 1};
    r.timestamp = {{timestamp_key_.keyid}, 1};
    return r;
  }

  Targets MakeTargets(int64_t version) {
    Targets t;
    t.version = version;
    t.expires = T("2026-01-01T00:00:00Z");
    for (int64_t v = 1; v <= 3; ++v) {
      TargetEntry e;
      e.name = "mnist";
      e.version = v;
      e.model = {"models/mnist/" + std::to_string(v) + "/model.tflite",
                 model_.size(), Sha256Hex(model_)};
      e.min_runtime_version = v == 3 ? "0.2.0" : "0.1.0";
      e.rollout_percent = 50;
      t.targets["mnist"].push_back(e);
    }
    return t;
  }

  std::string Sign(const Root& r, std::vector<SigningKey> keys) {
    return *SignRoot(r, keys);
  }
  std::string SignT(const Targets& t) {
    return *SignTargets(t, std::vector<SigningKey>{targets_key_});
  }
  Timestamp MakeTimestamp(int64_t version, const std::string& targets_text,
                          int64_t targets_version) {
    Timestamp ts;
    ts.version = version;
    ts.expires = now_ + hours(24);
    ts.targets = {targets_version, targets_text.size(),
                  Sha256Hex(std::string_view(targets_text))};
    return ts;
  }
  std::string SignTs(const Timestamp& ts) {
    return *SignTimestamp(ts, std::vector<SigningKey>{timestamp_key_});
  }

  std::vector<SigningKey> root_keys_;
  SigningKey targets_key_, timestamp_key_;
  Root root_;
  std::vector<uint8_t> model_;
  TimePoint now_ = T("2025-06-01T12:00:00Z");
};

TEST_F(VerifierTest, GoodChainVerifies) {
  const std::string root_text = Sign(root_, {root_keys_[0], root_keys_[2]});
  StatusOr<Root> root = LoadTrustedRoot(AsBytes(root_text));
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(root->version, 1);
  EXPECT_EQ(root->root.threshold, 2);
  EXPECT_EQ(root->keys.size(), 5u);
  ASSERT_TRUE(CheckNotExpired(*root, now_).ok());

  const std::string targets_text = SignT(MakeTargets(4));
  const std::string ts_text = SignTs(MakeTimestamp(7, targets_text, 4));
  StatusOr<Timestamp> ts = VerifyTimestamp(*root, AsBytes(ts_text), now_, 6);
  ASSERT_TRUE(ts.ok()) << ts.status();
  EXPECT_EQ(ts->version, 7);
  EXPECT_EQ(ts->targets.version, 4);
  StatusOr<Targets> targets =
      VerifyTargets(*root, AsBytes(targets_text), now_, ts->targets, 4);
  ASSERT_TRUE(targets.ok()) << targets.status();
  ASSERT_EQ(targets->targets.at("mnist").size(), 3u);
  const TargetEntry& e = targets->targets.at("mnist")[1];
  EXPECT_EQ(e.version, 2);
  EXPECT_EQ(e.model.path, "models/mnist/2/model.tflite");
  EXPECT_EQ(e.rollout_percent, 50);
  EXPECT_TRUE(VerifyTargetBytes(e.model, model_).ok());
}

TEST_F(VerifierTest, TamperedSignedBodyIsRefused) {
  const std::string targets_text = SignT(MakeTargets(1));
  json ts = json::parse(SignTs(MakeTimestamp(3, targets_text, 1)));
  ts["signed"]["version"] = 30;
  const std::string tampered = ts.dump();
  StatusOr<Timestamp> r = VerifyTimestamp(root_, AsBytes(tampered), now_, 0);
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status();
  EXPECT_NE(r.status().message().find("timestamp.json version 30"),
            std::string::npos)
      << r.status();

  // A targets doc whose entry was edited, with a timestamp that matches the
  // edited bytes: the signature still fails.
  json t = json::parse(targets_text);
  t["signed"]["targets"]["mnist"][0]["rollout_percent"] = 100;
  const std::string t_text = t.dump();
  const MetaFile meta{1, t_text.size(), Sha256Hex(std::string_view(t_text))};
  EXPECT_EQ(VerifyTargets(root_, AsBytes(t_text), now_, meta, 0).status().code(),
            StatusCode::kPermissionDenied);

  // Re-formatting (whitespace, key order) is not tampering: canonical bytes.
  json same = json::parse(targets_text);
  const std::string compact = same.dump();
  const MetaFile meta2{1, compact.size(), Sha256Hex(std::string_view(compact))};
  EXPECT_TRUE(VerifyTargets(root_, AsBytes(compact), now_, meta2, 0).ok());
}

TEST_F(VerifierTest, WrongKeyIsRefused) {
  const std::string targets_text = SignT(MakeTargets(1));
  const Timestamp ts = MakeTimestamp(1, targets_text, 1);
  // The targets key is not a timestamp key; a stranger's key neither.
  for (const SigningKey& k : {targets_key_, GenerateSigningKey()}) {
    const std::string text = *SignTimestamp(ts, std::vector<SigningKey>{k});
    EXPECT_EQ(VerifyTimestamp(root_, AsBytes(text), now_, 0).status().code(),
              StatusCode::kPermissionDenied);
  }
  // A root signed by keys it does not list.
  const std::string root_text =
      Sign(root_, {GenerateSigningKey(), GenerateSigningKey()});
  EXPECT_EQ(LoadTrustedRoot(AsBytes(root_text)).status().code(),
            StatusCode::kPermissionDenied);
}

TEST_F(VerifierTest, BelowThresholdIsRefused) {
  const std::string one = Sign(root_, {root_keys_[1]});
  StatusOr<Root> r = LoadTrustedRoot(AsBytes(one));
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(r.status().message().find("1 valid signature"), std::string::npos)
      << r.status();
  EXPECT_NE(r.status().message().find("threshold is 2"), std::string::npos);
  EXPECT_TRUE(LoadTrustedRoot(AsBytes(Sign(root_, root_keys_))).ok());
}

TEST_F(VerifierTest, DuplicateSignaturesCountOnce) {
  const std::string twice = Sign(root_, {root_keys_[0], root_keys_[0]});
  EXPECT_EQ(LoadTrustedRoot(AsBytes(twice)).status().code(),
            StatusCode::kPermissionDenied);
  // One key's signature relabelled as another key's does not count either.
  json doc = json::parse(Sign(root_, {root_keys_[0]}));
  json forged = doc["signatures"][0];
  forged["keyid"] = root_keys_[1].keyid;
  doc["signatures"].push_back(forged);
  EXPECT_EQ(LoadTrustedRoot(AsBytes(doc.dump())).status().code(),
            StatusCode::kPermissionDenied);
}

TEST_F(VerifierTest, UnknownAndBrokenSignaturesAreIgnored) {
  json doc = json::parse(Sign(root_, {GenerateSigningKey(), root_keys_[0],
                                      root_keys_[1]}));
  doc["signatures"].push_back({{"keyid", root_keys_[2].keyid}, {"sig", "zz"}});
  EXPECT_TRUE(LoadTrustedRoot(AsBytes(doc.dump())).ok());
  // Malformed signature entries are malformed documents.
  doc["signatures"].push_back(42);
  EXPECT_EQ(LoadTrustedRoot(AsBytes(doc.dump())).status().code(),
            StatusCode::kDataLoss);
}

TEST_F(VerifierTest, ExpiredDocumentsAreRefused) {
  Targets targets = MakeTargets(1);
  targets.expires = now_ - hours(1);
  const std::string targets_text = SignT(targets);
  Timestamp ts = MakeTimestamp(1, targets_text, 1);
  ts.expires = now_;  // expires at exactly now: expired
  StatusOr<Timestamp> r = VerifyTimestamp(root_, AsBytes(SignTs(ts)), now_, 0);
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(r.status().message().find("expired at 2025-06-01T12:00:00Z"),
            std::string::npos)
      << r.status();
  EXPECT_EQ(
      VerifyTargets(root_, AsBytes(targets_text), now_, ts.targets, 0)
          .status()
          .code(),
      StatusCode::kDeadlineExceeded);
  // The root.
  Root old = root_;
  old.expires = now_ - hours(1);
  EXPECT_EQ(CheckNotExpired(old, now_).code(), StatusCode::kDeadlineExceeded);
  ts.expires = now_ + hours(1);
  EXPECT_EQ(VerifyTimestamp(old, AsBytes(SignTs(ts)), now_, 0).status().code(),
            StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(VerifyTimestamp(root_, AsBytes(SignTs(ts)), now_, 0).ok());
}

TEST_F(VerifierTest, TimestampRollbackIsRefused) {
  const std::string targets_text = SignT(MakeTargets(1));
  const std::string ts = SignTs(MakeTimestamp(4, targets_text, 1));
  StatusOr<Timestamp> r = VerifyTimestamp(root_, AsBytes(ts), now_, 5);
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("rollback"), std::string::npos);
  EXPECT_TRUE(VerifyTimestamp(root_, AsBytes(ts), now_, 4).ok());  // same ok
}

TEST_F(VerifierTest, TargetsRollbackIsRefused) {
  const std::string targets_text = SignT(MakeTargets(2));
  const Timestamp ts = MakeTimestamp(9, targets_text, 2);
  EXPECT_EQ(VerifyTargets(root_, AsBytes(targets_text), now_, ts.targets, 3)
                .status()
                .code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(VerifierTest, MixAndMatchIsRefused) {
  const std::string v1 = SignT(MakeTargets(1));
  const std::string v2 = SignT(MakeTargets(2));
  const Timestamp ts = MakeTimestamp(2, v2, 2);
  // An older (validly signed) targets.json served with the new timestamp.
  StatusOr<Targets> r = VerifyTargets(root_, AsBytes(v1), now_, ts.targets, 0);
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  // Same length, other bytes.
  std::string flipped = v2;
  flipped[flipped.size() / 2] ^= 1;
  EXPECT_EQ(VerifyTargets(root_, AsBytes(flipped), now_, ts.targets, 0)
                .status()
                .code(),
            StatusCode::kDataLoss);
  // Hash right, but the timestamp claims another version.
  MetaFile lying = ts.targets;
  lying.version = 3;
  EXPECT_EQ(
      VerifyTargets(root_, AsBytes(v2), now_, lying, 0).status().code(),
      StatusCode::kDataLoss);
  EXPECT_TRUE(VerifyTargets(root_, AsBytes(v2), now_, ts.targets, 0).ok());
}

TEST_F(VerifierTest, TamperedOrTruncatedModelIsRefused) {
  const FileRef f = MakeTargets(1).targets.at("mnist")[0].model;
  std::vector<uint8_t> bad = model_;
  bad[3] ^= 0x40;
  Status s = VerifyTargetBytes(f, bad);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("models/mnist/1/model.tflite"), std::string::npos);
  bad = model_;
  bad.pop_back();
  EXPECT_EQ(VerifyTargetBytes(f, bad).code(), StatusCode::kDataLoss);
  bad = model_;
  bad.push_back(0);
  EXPECT_EQ(VerifyTargetBytes(f, bad).code(), StatusCode::kDataLoss);
  EXPECT_TRUE(VerifyTargetBytes(f, model_).ok());
}

TEST_F(VerifierTest, SelectUpdateIsMonotonic) {
  const Targets t = MakeTargets(1);  // mnist 1, 2 (>=0.1.0), 3 (>=0.2.0)
  auto pick = [&](int64_t installed, const char* runtime) {
    return SelectUpdate(t, "mnist", installed, runtime);
  };
  EXPECT_EQ((*pick(0, "0.2.0"))->version, 3);
  EXPECT_EQ((*pick(2, "0.3"))->version, 3);
  EXPECT_FALSE(pick(3, "1.0.0")->has_value());  // nothing newer
  // v3 needs runtime 0.2.0: a 0.1.x runtime gets 2, or nothing when on 2.
  EXPECT_EQ((*pick(1, "0.1.9"))->version, 2);
  EXPECT_FALSE(pick(2, "0.1.9")->has_value());
  // Installed 5 but the newest listed is 3: a rollback attempt.
  StatusOr<std::optional<TargetEntry>> r = pick(5, "0.2.0");
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("rollback"), std::string::npos);
  EXPECT_EQ(SelectUpdate(t, "resnet", 0, "0.1.0").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(pick(0, "zero").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(VerifierTest, RootRotation) {
  std::vector<SigningKey> new_keys = {GenerateSigningKey(),
                                      GenerateSigningKey()};
  const Root trusted = *LoadTrustedRoot(AsBytes(Sign(root_, root_keys_)));
  const Root next = MakeRoot(2, new_keys, 2);
  std::vector<SigningKey> both = {root_keys_[0], root_keys_[1], new_keys[0],
                                  new_keys[1]};
  StatusOr<Root> ok = VerifyRootUpdate(trusted, AsBytes(Sign(next, both)));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->version, 2);
  EXPECT_EQ(ok->root.keyids.size(), 2u);

  // Only the new keys: the old root did not authorise it.
  StatusOr<Root> r = VerifyRootUpdate(trusted, AsBytes(Sign(next, new_keys)));
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(r.status().message().find("trusted root version 1"),
            std::string::npos)
      << r.status();
  // Only the old keys: the new keys never agreed.
  r = VerifyRootUpdate(trusted,
                       AsBytes(Sign(next, {root_keys_[0], root_keys_[1]})));
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(r.status().message().find("its own"), std::string::npos);
  // Old threshold not met (1 of 2).
  r = VerifyRootUpdate(trusted, AsBytes(Sign(next, {root_keys_[0], new_keys[0],
                                                    new_keys[1]})));
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  // Version skip, and a replay of version 1.
  const Root skip = MakeRoot(3, new_keys, 2);
  r = VerifyRootUpdate(trusted, AsBytes(Sign(skip, both)));
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  r = VerifyRootUpdate(trusted, AsBytes(Sign(root_, root_keys_)));
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);

  // Chain on: version 3 signed by version 2's keys only (the old ones are
  // gone) verifies against version 2.
  StatusOr<Root> three = VerifyRootUpdate(*ok, AsBytes(Sign(skip, new_keys)));
  ASSERT_TRUE(three.ok()) << three.status();
  EXPECT_EQ(three->version, 3);
}

TEST_F(VerifierTest, MalformedDocumentsAreDataLoss) {
  const std::string root_text = Sign(root_, root_keys_);
  for (const std::string& bad :
       {std::string("not json"), std::string("[]"), std::string("{}"),
        std::string(R"({"signed": {"_type": "root"}, "signatures": {}})"),
        root_text.substr(0, root_text.size() / 2)}) {
    EXPECT_EQ(LoadTrustedRoot(AsBytes(bad)).status().code(),
              StatusCode::kDataLoss)
        << bad;
  }
  // A root served as the timestamp: wrong _type.
  StatusOr<Timestamp> r = VerifyTimestamp(root_, AsBytes(root_text), now_, 0);
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("_type"), std::string::npos);
  // Deep nesting is refused without recursion.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(LoadTrustedRoot(AsBytes(deep)).status().code(),
            StatusCode::kDataLoss);
}

TEST_F(VerifierTest, FloatsAreRefusedEvenWhenSigned) {
  const std::string targets_text = SignT(MakeTargets(1));
  json ts = json::parse(SignTs(MakeTimestamp(1, targets_text, 1)));
  ts["signed"]["note"] = 1.5;
  const std::string canonical = ts["signed"].dump();
  ts["signatures"] = json::array(
      {{{"keyid", timestamp_key_.keyid},
        {"sig", HexEncode(Ed25519Sign(timestamp_key_.pair,
                                      AsBytes(canonical)))}}});
  StatusOr<Timestamp> r = VerifyTimestamp(root_, AsBytes(ts.dump()), now_, 0);
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("floating-point"), std::string::npos);
}

TEST(InRolloutTest, DistributionAndDeterminism) {
  int in = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = "device-" + std::to_string(i);
    const bool at30 = InRollout(id, "mnist", 30);
    EXPECT_EQ(at30, InRollout(id, "mnist", 30));  // deterministic
    if (at30) {
      ++in;
      EXPECT_TRUE(InRollout(id, "mnist", 31));  // monotone in percent
    }
    EXPECT_FALSE(InRollout(id, "mnist", 0));
    EXPECT_TRUE(InRollout(id, "mnist", 100));
  }
  EXPECT_GE(in, 240);
  EXPECT_LE(in, 360);
  // Buckets differ per model: not the same 30% of devices for every model.
  int same = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = "device-" + std::to_string(i);
    same += InRollout(id, "mnist", 30) == InRollout(id, "resnet", 30);
  }
  EXPECT_LT(same, 900);
}

}  // namespace
}  // namespace edgerun::ota
