# Activation (verify + self-test + store.Activate) and ManagedModel (hot
# swap into a running Session, health window, automatic rollback, device
# policy); docs/ota.md, "Activation and hot swap".
add_library(edgerun_ota_managed STATIC ota/activation.cc ota/managed_model.cc)
target_link_libraries(edgerun_ota_managed PUBLIC edgerun_ota_store edgerun_ota_activation
  edgerun_session PRIVATE edgerun_ota_crypto nlohmann_json::nlohmann_json)
target_link_libraries(edgerun_ota INTERFACE edgerun_ota_managed)
if(EDGERUN_BUILD_TESTS)
  edgerun_test(ota_managed_model_test SOURCES ota/managed_model_test.cc
    DEPS edgerun_ota_managed edgerun_ota_crypto edgerun_io LABELS unit ota)
  target_compile_options(ota_managed_model_test PRIVATE -Wno-missing-field-initializers)
endif()
