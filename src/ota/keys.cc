#include "edgerun/ota/keys.h"

#include <nlohmann/json.hpp>
#include <string>

namespace edgerun::ota {
namespace {

using nlohmann::json;

StatusOr<std::string> StringField(const json& j, const char* field,
                                  std::string_view what) {
  const auto it = j.find(field);
  if (it == j.end() || !it->is_string()) {
    return DataLossError(std::string(what) + ": field \"" + field +
                         "\" missing or not a string");
  }
  return it->get<std::string>();
}

StatusOr<json> ParseKeyJson(std::string_view text, std::string_view what) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return DataLossError(std::string(what) + ": not a JSON key object");
  }
  ASSIGN_OR_RETURN(const std::string keytype, StringField(j, "keytype", what));
  if (keytype != "ed25519") {
    return DataLossError(std::string(what) + ": keytype \"" + keytype +
                         "\" is not supported (want \"ed25519\")");
  }
  return j;
}

json PublicJson(const PublicKey& key) {
  return json{{"keytype", "ed25519"},
              {"keyid", key.keyid},
              {"public", HexEncode(key.public_key)}};
}

}  // namespace

std::string KeyIdOf(std::span<const uint8_t> public_key) {
  return Sha256Hex(public_key);
}

SigningKey GenerateSigningKey() {
  SigningKey key;
  key.pair = GenerateEd25519KeyPair();
  key.keyid = KeyIdOf(key.pair.public_key);
  return key;
}

StatusOr<SigningKey> SigningKeyFromSeed(std::span<const uint8_t> seed) {
  ASSIGN_OR_RETURN(Ed25519KeyPair pair, Ed25519KeyPairFromSeed(seed));
  SigningKey key;
  key.pair = pair;
  key.keyid = KeyIdOf(key.pair.public_key);
  return key;
}

std::string SigningKeyToJson(const SigningKey& key) {
  json j = PublicJson(key.Public());
  j["private_seed"] = HexEncode(key.pair.seed);
  return j.dump(2) + "\n";
}

std::string PublicKeyToJson(const PublicKey& key) {
  return PublicJson(key).dump(2) + "\n";
}

StatusOr<PublicKey> ParsePublicKey(std::string_view text,
                                   std::string_view what) {
  ASSIGN_OR_RETURN(const json j, ParseKeyJson(text, what));
  ASSIGN_OR_RETURN(const std::string keyid, StringField(j, "keyid", what));
  ASSIGN_OR_RETURN(const std::string public_hex,
                   StringField(j, "public", what));
  StatusOr<std::vector<uint8_t>> pub = HexDecode(public_hex);
  if (!pub.ok() || pub->size() != kEd25519PublicKeyBytes) {
    return DataLossError(std::string(what) +
                         ": \"public\" is not 32 bytes of hex");
  }
  PublicKey key;
  std::copy(pub->begin(), pub->end(), key.public_key.begin());
  key.keyid = KeyIdOf(key.public_key);
  if (key.keyid != keyid) {
    return DataLossError(std::string(what) + ": keyid " + keyid +
                         " does not match the public key (its keyid is " +
                         key.keyid + ")");
  }
  return key;
}

StatusOr<SigningKey> ParseSigningKey(std::string_view text,
                                     std::string_view what) {
  ASSIGN_OR_RETURN(const PublicKey pub, ParsePublicKey(text, what));
  const json j = json::parse(text, nullptr, false);  // valid: checked above
  ASSIGN_OR_RETURN(const std::string seed_hex,
                   StringField(j, "private_seed", what));
  StatusOr<std::vector<uint8_t>> seed = HexDecode(seed_hex);
  if (!seed.ok() || seed->size() != kEd25519SeedBytes) {
    return DataLossError(std::string(what) +
                         ": \"private_seed\" is not 32 bytes of hex");
  }
  ASSIGN_OR_RETURN(SigningKey key, SigningKeyFromSeed(*seed));
  if (key.pair.public_key != pub.public_key) {
    return DataLossError(std::string(what) +
                         ": \"public\" does not belong to \"private_seed\"");
  }
  return key;
}

}  // namespace edgerun::ota
