// Self-signed TLS certificates for tests of the https path (the loopback
// server's TLS mode and the fetcher's trusted-CA option). Test support only:
// short-lived keys made on the spot, never for production.
//
// Ownership: writes files into the given directory; keeps nothing.
// Thread-safety: reentrant.
#ifndef EDGERUN_OTA_TESTING_TEST_CERTS_H_
#define EDGERUN_OTA_TESTING_TEST_CERTS_H_

#include <string>

#include "edgerun/base/status.h"

namespace edgerun::ota::testing {

struct CertFiles {
  std::string cert_pem;  // the certificate (also the CA to trust: self-signed)
  std::string key_pem;   // its private key
};

// A P-256 key and a self-signed CA certificate (CN "edgerun test", valid
// from an hour ago for a day, subjectAltName `alt_names` in OpenSSL's
// syntax) written as `<dir>/<stem>.cert.pem` and `<dir>/<stem>.key.pem`.
StatusOr<CertFiles> MakeSelfSignedCert(
    const std::string& dir, const std::string& stem,
    const std::string& alt_names = "IP:127.0.0.1,DNS:localhost");

}  // namespace edgerun::ota::testing

#endif  // EDGERUN_OTA_TESTING_TEST_CERTS_H_
