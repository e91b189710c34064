// Metadata values <-> JSON, times, runtime versions and key files.
#include "edgerun/ota/metadata.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "edgerun/ota/keys.h"

namespace edgerun::ota {
namespace {

using nlohmann::json;

TEST(MetadataTimeTest, RoundTripAndStrictParsing) {
  StatusOr<TimePoint> t = ParseTime("2026-12-01T00:00:00Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatTime(*t), "2026-12-01T00:00:00Z");
  EXPECT_EQ(FormatTime(*ParseTime("2024-02-29T23:59:59Z")),
            "2024-02-29T23:59:59Z");
  EXPECT_EQ(*ParseTime("1970-01-01T00:00:10Z"),
            TimePoint(std::chrono::seconds(10)));
  for (const char* bad :
       {"2026-12-01", "2026-12-01T00:00:00", "2026-12-01T00:00:00+01:00",
        "2025-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-12-01T24:00:00Z",
        "2026-12-01t00:00:00Z", "2026-12-01T00:00:00.5Z", ""}) {
    EXPECT_EQ(ParseTime(bad).status().code(), StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(MetadataRuntimeVersionTest, CompareDottedIntegers) {
  auto v = [](const char* s) { return *ParseRuntimeVersion(s); };
  EXPECT_EQ(CompareRuntimeVersions(v("0.1.0"), v("0.1")), 0);
  EXPECT_LT(CompareRuntimeVersions(v("0.1.9"), v("0.2.0")), 0);
  EXPECT_GT(CompareRuntimeVersions(v("0.10.0"), v("0.9.9")), 0);
  EXPECT_GT(CompareRuntimeVersions(v("1"), v("0.99")), 0);
  for (const char* bad : {"", "1..2", "a.b", "1.-2", "1.2.", "v1"}) {
    EXPECT_FALSE(ParseRuntimeVersion(bad).ok()) << bad;
  }
}

TEST(MetadataKeysTest, KeyFilesRoundTripAndMismatchesAreRefused) {
  const SigningKey key = GenerateSigningKey();
  EXPECT_EQ(key.keyid, KeyIdOf(key.pair.public_key));
  StatusOr<SigningKey> back = ParseSigningKey(SigningKeyToJson(key), "k.json");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->keyid, key.keyid);
  EXPECT_EQ(back->pair.seed, key.pair.seed);
  StatusOr<PublicKey> pub =
      ParsePublicKey(PublicKeyToJson(key.Public()), "k.pub.json");
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(pub->public_key, key.pair.public_key);
  // The public file has no seed.
  EXPECT_EQ(ParseSigningKey(PublicKeyToJson(key.Public()), "k.pub.json")
                .status()
                .code(),
            StatusCode::kDataLoss);

  json j = json::parse(SigningKeyToJson(key));
  j["keyid"] = GenerateSigningKey().keyid;
  Status s = ParseSigningKey(j.dump(), "k.json").status();
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("k.json"), std::string::npos);
  j = json::parse(SigningKeyToJson(key));
  j["private_seed"] = HexEncode(GenerateSigningKey().pair.seed);
  EXPECT_EQ(ParseSigningKey(j.dump(), "k.json").status().code(),
            StatusCode::kDataLoss);
  j["keytype"] = "rsa";
  EXPECT_EQ(ParseSigningKey(j.dump(), "k.json").status().code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(ParsePublicKey("{", "k.json").status().code(),
            StatusCode::kDataLoss);
}

TEST(MetadataTargetsTest, RoundTripWithSelfTest) {
  const SigningKey key = GenerateSigningKey();
  Targets t;
  t.version = 5;
  t.expires = *ParseTime("2026-01-02T03:04:05Z");
  TargetEntry e;
  e.name = "kws";
  e.version = 7;
  e.model = {"models/kws/7/model.tflite", 123, std::string(64, 'a')};
  e.min_runtime_version = "0.1.0";
  e.rollout_percent = 25;
  SelfTest st;
  st.inputs.push_back({"models/kws/7/in0.npy", 10, std::string(64, 'b')});
  st.outputs.push_back({"models/kws/7/out0.npy", 11, std::string(64, 'c')});
  st.atol = 1e-5;
  e.self_test = st;
  t.targets["kws"].push_back(e);
  const std::string text = *SignTargets(t, std::vector<SigningKey>{key});
  // No floats in the signed document: the tolerance is a string.
  const json j = json::parse(text);
  EXPECT_EQ(j["signed"]["targets"]["kws"][0]["self_test"]["atol"], "1e-05");
  EXPECT_FALSE(j["signed"]["targets"]["kws"][0]["self_test"].contains("rtol"));

  StatusOr<Targets> back = ParseTargetsUnverified(AsBytes(text));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->version, 5);
  EXPECT_EQ(back->expires, t.expires);
  const TargetEntry& b = back->targets.at("kws").at(0);
  EXPECT_EQ(b.version, 7);
  EXPECT_EQ(b.model.path, e.model.path);
  EXPECT_EQ(b.model.length, 123u);
  EXPECT_EQ(b.rollout_percent, 25);
  ASSERT_TRUE(b.self_test.has_value());
  EXPECT_EQ(b.self_test->inputs.at(0).path, "models/kws/7/in0.npy");
  EXPECT_EQ(b.self_test->outputs.at(0).length, 11u);
  EXPECT_DOUBLE_EQ(*b.self_test->atol, 1e-5);
  EXPECT_FALSE(b.self_test->rtol.has_value());

  // Unsafe paths and out-of-range fields are malformed.
  for (const char* path : {"../etc/passwd", "/abs", "models//x", "a/./b",
                           "models/a b"}) {
    Targets bad = t;
    bad.targets["kws"][0].model.path = path;
    const std::string s = *SignTargets(bad, std::vector<SigningKey>{key});
    EXPECT_EQ(ParseTargetsUnverified(AsBytes(s)).status().code(),
              StatusCode::kDataLoss)
        << path;
  }
  Targets dup = t;
  dup.targets["kws"].push_back(e);
  EXPECT_EQ(ParseTargetsUnverified(
                AsBytes(*SignTargets(dup, std::vector<SigningKey>{key})))
                .status()
                .code(),
            StatusCode::kDataLoss);
  Targets pct = t;
  pct.targets["kws"][0].rollout_percent = 101;
  EXPECT_EQ(ParseTargetsUnverified(
                AsBytes(*SignTargets(pct, std::vector<SigningKey>{key})))
                .status()
                .code(),
            StatusCode::kDataLoss);
}

}  // namespace
}  // namespace edgerun::ota
