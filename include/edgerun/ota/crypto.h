// Cryptographic primitives for model updates, on libsodium: SHA-256,
// Ed25519 signatures, hex, random bytes.
//
// Thread-safety: every function is thread-safe (libsodium is initialised
// once, on first use). Sha256Hasher is thread-compatible.
#ifndef EDGERUN_OTA_CRYPTO_H_
#define EDGERUN_OTA_CRYPTO_H_

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "edgerun/base/status.h"

namespace edgerun::ota {

inline constexpr size_t kSha256Bytes = 32;
inline constexpr size_t kEd25519PublicKeyBytes = 32;
inline constexpr size_t kEd25519SeedBytes = 32;
inline constexpr size_t kEd25519SignatureBytes = 64;

std::string HexEncode(std::span<const uint8_t> bytes);
// Lower- or upper-case hex; kInvalidArgument for odd length or a non-hex
// character.
StatusOr<std::vector<uint8_t>> HexDecode(std::string_view hex);

std::array<uint8_t, kSha256Bytes> Sha256(std::span<const uint8_t> bytes);
std::string Sha256Hex(std::span<const uint8_t> bytes);
inline std::string Sha256Hex(std::string_view text) {
  return Sha256Hex(std::span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

// Incremental SHA-256 for data that arrives in pieces (downloads).
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  void Update(std::span<const uint8_t> bytes);
  // Finishes the hash; the hasher starts over afterwards.
  std::string FinishHex();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// An Ed25519 key pair kept as its 32-byte seed (the private key) and public
// key.
struct Ed25519KeyPair {
  std::array<uint8_t, kEd25519SeedBytes> seed{};
  std::array<uint8_t, kEd25519PublicKeyBytes> public_key{};
};

Ed25519KeyPair GenerateEd25519KeyPair();
// kInvalidArgument when the seed has the wrong size.
StatusOr<Ed25519KeyPair> Ed25519KeyPairFromSeed(std::span<const uint8_t> seed);
std::array<uint8_t, kEd25519SignatureBytes> Ed25519Sign(
    const Ed25519KeyPair& key, std::span<const uint8_t> message);
// True only for a valid signature of `message` by `public_key` (wrong sizes
// give false).
bool Ed25519Verify(std::span<const uint8_t> public_key,
                   std::span<const uint8_t> message,
                   std::span<const uint8_t> signature);

void RandomBytes(std::span<uint8_t> out);

}  // namespace edgerun::ota

#endif  // EDGERUN_OTA_CRYPTO_H_
