#include "edgerun/ota/crypto.h"

#include <gtest/gtest.h>

namespace edgerun::ota {
namespace {

std::vector<uint8_t> Bytes(std::string_view hex) { return *HexDecode(hex); }

TEST(CryptoTest, Sha256KnownAnswers) {
  EXPECT_EQ(Sha256Hex(std::string_view("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(std::string_view("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(CryptoTest, IncrementalHashEqualsOneShot) {
  std::vector<uint8_t> data(100000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7);
  Sha256Hasher h;
  for (size_t off = 0; off < data.size(); off += 4093) {
    const size_t n = std::min<size_t>(4093, data.size() - off);
    h.Update(std::span<const uint8_t>(data).subspan(off, n));
  }
  EXPECT_EQ(h.FinishHex(), Sha256Hex(data));
}

TEST(CryptoTest, HexRoundTripAndErrors) {
  EXPECT_EQ(HexEncode(Bytes("00ff10Ab")), "00ff10ab");
  EXPECT_FALSE(HexDecode("abc").ok());
  EXPECT_FALSE(HexDecode("zz").ok());
}

// RFC 8032, section 7.1, TEST 2.
TEST(CryptoTest, Ed25519Rfc8032Vector) {
  auto key = Ed25519KeyPairFromSeed(Bytes(
      "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(HexEncode(key->public_key),
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
  const std::vector<uint8_t> message = {0x72};
  auto sig = Ed25519Sign(*key, message);
  EXPECT_EQ(HexEncode(sig),
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
            "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
  EXPECT_TRUE(Ed25519Verify(key->public_key, message, sig));
  sig[5] ^= 1;
  EXPECT_FALSE(Ed25519Verify(key->public_key, message, sig));
  EXPECT_FALSE(Ed25519Verify(key->public_key, message,
                             std::span<const uint8_t>(sig).first(63)));
  EXPECT_FALSE(Ed25519KeyPairFromSeed(Bytes("00")).ok());
}

TEST(CryptoTest, GeneratedKeysSignAndVerify) {
  Ed25519KeyPair a = GenerateEd25519KeyPair();
  Ed25519KeyPair b = GenerateEd25519KeyPair();
  EXPECT_NE(a.public_key, b.public_key);
  const std::vector<uint8_t> msg = {1, 2, 3};
  auto sig = Ed25519Sign(a, msg);
  EXPECT_TRUE(Ed25519Verify(a.public_key, msg, sig));
  EXPECT_FALSE(Ed25519Verify(b.public_key, msg, sig));
}

}  // namespace
}  // namespace edgerun::ota
