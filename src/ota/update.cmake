# The update client (Updater): check the signed repository over HTTP,
# download, verify and stage new model versions (docs/ota.md, "Update client").
add_library(edgerun_ota_update STATIC ota/updater.cc)
target_link_libraries(edgerun_ota_update
  PUBLIC edgerun_ota_repo edgerun_ota_net edgerun_ota_store edgerun_ota_activation
  PRIVATE edgerun_ota_crypto nlohmann_json::nlohmann_json)
target_link_libraries(edgerun_ota INTERFACE edgerun_ota_update)

# update_check_bench [CHECKS]: update check with nothing new on loopback
# (median / min / max, requests per check); not a test, prints numbers only.
if(EDGERUN_BUILD_BENCH)
  add_executable(update_check_bench ${CMAKE_SOURCE_DIR}/bench/update_check_bench.cc)
  target_link_libraries(update_check_bench PRIVATE edgerun_ota_update
    edgerun_ota_publish edgerun_ota_testing edgerun_format)
  target_include_directories(update_check_bench PRIVATE ${CMAKE_SOURCE_DIR})
endif()
