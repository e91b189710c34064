# Crash-safe on-disk model store (versions, CURRENT, history, staging).
add_library(edgerun_ota_store STATIC ota/model_store.cc)
target_link_libraries(edgerun_ota_store PUBLIC edgerun_base
  PRIVATE edgerun_ota_crypto nlohmann_json::nlohmann_json)
target_link_libraries(edgerun_ota INTERFACE edgerun_ota_store)
if(EDGERUN_BUILD_TESTS)
  edgerun_test(ota_model_store_test SOURCES ota/model_store_test.cc
    DEPS edgerun_ota_store edgerun_ota_crypto edgerun_fault_injection_env
    LABELS unit)
endif()
