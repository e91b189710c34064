#include "edgerun/ota/crypto.h"

#include <sodium.h>

#include <cstdlib>
#include <mutex>

namespace edgerun::ota {
namespace {

void InitSodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    // sodium_init only fails when the system has no usable randomness
    // source; nothing in this file is safe then.
    if (sodium_init() < 0) std::abort();
  });
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string HexEncode(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 15];
  }
  return out;
}

StatusOr<std::vector<uint8_t>> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return InvalidArgumentError("hex string has odd length " +
                                std::to_string(hex.size()));
  }
  std::vector<uint8_t> out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = HexValue(hex[2 * i]);
    const int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return InvalidArgumentError("non-hex character at offset " +
                                  std::to_string(hi < 0 ? 2 * i : 2 * i + 1));
    }
    out[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return out;
}

std::array<uint8_t, kSha256Bytes> Sha256(std::span<const uint8_t> bytes) {
  InitSodium();
  std::array<uint8_t, kSha256Bytes> out{};
  crypto_hash_sha256(out.data(), bytes.data(), bytes.size());
  return out;
}

std::string Sha256Hex(std::span<const uint8_t> bytes) {
  return HexEncode(Sha256(bytes));
}

struct Sha256Hasher::State {
  crypto_hash_sha256_state sodium;
};

Sha256Hasher::Sha256Hasher() : state_(std::make_unique<State>()) {
  InitSodium();
  crypto_hash_sha256_init(&state_->sodium);
}
Sha256Hasher::~Sha256Hasher() = default;

void Sha256Hasher::Update(std::span<const uint8_t> bytes) {
  crypto_hash_sha256_update(&state_->sodium, bytes.data(), bytes.size());
}

std::string Sha256Hasher::FinishHex() {
  std::array<uint8_t, kSha256Bytes> out{};
  crypto_hash_sha256_final(&state_->sodium, out.data());
  crypto_hash_sha256_init(&state_->sodium);
  return HexEncode(out);
}

Ed25519KeyPair GenerateEd25519KeyPair() {
  InitSodium();
  std::array<uint8_t, kEd25519SeedBytes> seed{};
  randombytes_buf(seed.data(), seed.size());
  StatusOr<Ed25519KeyPair> key = Ed25519KeyPairFromSeed(seed);
  sodium_memzero(seed.data(), seed.size());
  return *key;  // cannot fail: the seed has the right size
}

StatusOr<Ed25519KeyPair> Ed25519KeyPairFromSeed(
    std::span<const uint8_t> seed) {
  InitSodium();
  if (seed.size() != kEd25519SeedBytes) {
    return InvalidArgumentError("Ed25519 seed must be 32 bytes, got " +
                                std::to_string(seed.size()));
  }
  Ed25519KeyPair key;
  std::copy(seed.begin(), seed.end(), key.seed.begin());
  std::array<uint8_t, crypto_sign_SECRETKEYBYTES> secret{};
  crypto_sign_seed_keypair(key.public_key.data(), secret.data(), seed.data());
  sodium_memzero(secret.data(), secret.size());
  return key;
}

std::array<uint8_t, kEd25519SignatureBytes> Ed25519Sign(
    const Ed25519KeyPair& key, std::span<const uint8_t> message) {
  InitSodium();
  std::array<uint8_t, crypto_sign_SECRETKEYBYTES> secret{};
  std::array<uint8_t, crypto_sign_PUBLICKEYBYTES> pub{};
  crypto_sign_seed_keypair(pub.data(), secret.data(), key.seed.data());
  std::array<uint8_t, kEd25519SignatureBytes> sig{};
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(),
                       secret.data());
  sodium_memzero(secret.data(), secret.size());
  return sig;
}

bool Ed25519Verify(std::span<const uint8_t> public_key,
                   std::span<const uint8_t> message,
                   std::span<const uint8_t> signature) {
  InitSodium();
  if (public_key.size() != kEd25519PublicKeyBytes ||
      signature.size() != kEd25519SignatureBytes) {
    return false;
  }
  return crypto_sign_verify_detached(signature.data(), message.data(),
                                     message.size(), public_key.data()) == 0;
}

void RandomBytes(std::span<uint8_t> out) {
  InitSodium();
  randombytes_buf(out.data(), out.size());
}

}  // namespace edgerun::ota
