# SHA-256, Ed25519, hex (libsodium).
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
add_library(edgerun_ota_crypto STATIC ota/crypto.cc)
target_link_libraries(edgerun_ota_crypto PUBLIC edgerun_base PRIVATE PkgConfig::SODIUM)
target_link_libraries(edgerun_ota INTERFACE edgerun_ota_crypto)
if(EDGERUN_BUILD_TESTS)
  edgerun_test(ota_crypto_test SOURCES ota/crypto_test.cc
    DEPS edgerun_ota_crypto LABELS unit)
endif()
