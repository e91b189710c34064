// Ed25519 keys of the signed model repository, and their JSON files.
//
// A key is identified by its keyid: the lower-case hex SHA-256 of the raw
// 32-byte public key. Key files (written by `edgerun keygen`):
//   KEY.json      {"keytype":"ed25519","keyid":"<hex>","public":"<hex>",
//                  "private_seed":"<hex>"}        (mode 0600)
//   KEY.pub.json  the same without "private_seed"
// Parsing checks that keyid matches the public key and that the public key
// matches the seed (kDataLoss otherwise), so a hand-edited file cannot
// claim another key's identity.
//
// Pure functions on bytes; the file helpers live in publisher.h (server
// side). Thread-safety: all functions are thread-safe; the structs are
// values.
#ifndef EDGERUN_OTA_KEYS_H_
#define EDGERUN_OTA_KEYS_H_

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "edgerun/base/status.h"
#include "edgerun/ota/crypto.h"

namespace edgerun::ota {

// A public key as root.json lists it.
struct PublicKey {
  std::string keyid;  // hex SHA-256 of `public_key`
  std::array<uint8_t, kEd25519PublicKeyBytes> public_key{};
};

// A private key (seed) with its public half; only publishers hold these.
struct SigningKey {
  std::string keyid;
  Ed25519KeyPair pair;

  PublicKey Public() const { return {keyid, pair.public_key}; }
};

// Hex SHA-256 of the raw public key.
std::string KeyIdOf(std::span<const uint8_t> public_key);

SigningKey GenerateSigningKey();
// kInvalidArgument when the seed is not 32 bytes.
StatusOr<SigningKey> SigningKeyFromSeed(std::span<const uint8_t> seed);

// The key file texts (pretty JSON, trailing newline).
std::string SigningKeyToJson(const SigningKey& key);
std::string PublicKeyToJson(const PublicKey& key);

// Parses a key file; `what` names it in errors (usually the path).
// kDataLoss for malformed JSON, missing/mistyped fields, a keytype other
// than "ed25519", or a keyid/public/seed mismatch. ParsePublicKey also
// accepts a private key file (and ignores the seed).
StatusOr<SigningKey> ParseSigningKey(std::string_view text,
                                     std::string_view what);
StatusOr<PublicKey> ParsePublicKey(std::string_view text,
                                   std::string_view what);

}  // namespace edgerun::ota

#endif  // EDGERUN_OTA_KEYS_H_
