#include "ota/testing/test_certs.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <utility>

namespace edgerun::ota::testing {
namespace {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;

Status WritePem(const std::string& path,
                const std::function<int(FILE*)>& write) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return UnavailableError("test certs: cannot write " + path);
  const int ok = write(f);
  const bool closed = std::fclose(f) == 0;
  if (ok != 1 || !closed)
    return InternalError("test certs: writing " + path + " failed");
  return OkStatus();
}

}  // namespace

StatusOr<CertFiles> MakeSelfSignedCert(const std::string& dir,
                                       const std::string& stem,
                                       const std::string& alt_names) {
  const std::string common_name = "edgerun test";
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return InternalError("test certs: EC key generation failed");
  X509Ptr cert(X509_new());
  if (!cert) return InternalError("test certs: X509_new failed");
  X509_set_version(cert.get(), 2);  // v3, for the extensions
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(
      name, "CN", MBSTRING_ASC,
      reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);  // self-signed
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] :
       {std::pair{NID_subject_alt_name, alt_names.c_str()},
        std::pair{NID_basic_constraints, "critical,CA:TRUE"},
        std::pair{NID_key_usage, "critical,digitalSignature,keyCertSign"}}) {
    ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    if (!ext || X509_add_ext(cert.get(), ext.get(), -1) != 1) {
      return InternalError(std::string("test certs: extension ") + value +
                           " failed");
    }
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return InternalError("test certs: signing failed");
  }
  CertFiles files{dir + "/" + stem + ".cert.pem",
                  dir + "/" + stem + ".key.pem"};
  RETURN_IF_ERROR(WritePem(
      files.cert_pem, [&](FILE* f) { return PEM_write_X509(f, cert.get()); }));
  RETURN_IF_ERROR(WritePem(files.key_pem, [&](FILE* f) {
    return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr,
                                nullptr);
  }));
  return files;
}

}  // namespace edgerun::ota::testing
