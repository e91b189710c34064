# The signed model repository: keys, metadata, verification (pure: bytes in,
# verified values out) and, for servers and tools, the publisher.
add_library(edgerun_ota_repo STATIC
  ota/keys.cc
  ota/metadata.cc
  ota/repository_verifier.cc
)
target_link_libraries(edgerun_ota_repo
  PUBLIC edgerun_ota_crypto PRIVATE nlohmann_json::nlohmann_json)
target_link_libraries(edgerun_ota INTERFACE edgerun_ota_repo)

# Server side (writes files); not part of `edgerun_ota`, devices need none.
add_library(edgerun_ota_publish STATIC ota/publisher.cc)
target_link_libraries(edgerun_ota_publish
  PUBLIC edgerun_ota_repo PRIVATE nlohmann_json::nlohmann_json)

if(EDGERUN_BUILD_TESTS)
  edgerun_test(ota_repo_test
    SOURCES ota/repository_verifier_test.cc ota/metadata_test.cc
    DEPS edgerun_ota_repo nlohmann_json::nlohmann_json LABELS unit)
  edgerun_test(ota_publisher_test
    SOURCES ota/publisher_test.cc
    DEPS edgerun_ota_publish nlohmann_json::nlohmann_json LABELS unit)
endif()
