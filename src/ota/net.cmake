# HTTP fetching of update metadata and models (libcurl), and a loopback
# HTTP server with fault injection for tests (cpp-httplib, test support only).
find_package(CURL REQUIRED)
add_library(edgerun_ota_net STATIC ota/http_fetcher.cc)
target_link_libraries(edgerun_ota_net PUBLIC edgerun_base PRIVATE CURL::libcurl)
target_link_libraries(edgerun_ota INTERFACE edgerun_ota_net)

pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
find_package(OpenSSL REQUIRED)
add_library(edgerun_ota_testing STATIC ota/testing/loopback_server.cc
  ota/testing/test_certs.cc)
target_link_libraries(edgerun_ota_testing
  PUBLIC edgerun_base PRIVATE edgerun_ota_crypto PkgConfig::HTTPLIB OpenSSL::SSL
  OpenSSL::Crypto)

# edgerun_test_server ROOT [PORT]: serve a directory on 127.0.0.1 (manual
# and script use).
add_executable(edgerun_test_server
  ${CMAKE_SOURCE_DIR}/tools/edgerun_test_server/main.cc)
target_link_libraries(edgerun_test_server PRIVATE edgerun_ota_testing)
target_include_directories(edgerun_test_server PRIVATE ${CMAKE_SOURCE_DIR})

# fetch_latency [REPS]: small and conditional fetches over loopback
# (median / min / max); not a test, prints numbers only.
if(EDGERUN_BUILD_BENCH)
  add_executable(fetch_latency ${CMAKE_SOURCE_DIR}/bench/fetch_latency.cc)
  target_link_libraries(fetch_latency PRIVATE edgerun_ota_net edgerun_ota_testing)
  target_include_directories(fetch_latency PRIVATE ${CMAKE_SOURCE_DIR})
endif()

if(EDGERUN_BUILD_TESTS)
  edgerun_test(ota_http_fetcher_test SOURCES ota/http_fetcher_test.cc
    DEPS edgerun_ota_net edgerun_ota_testing edgerun_ota_crypto LABELS unit)
endif()
