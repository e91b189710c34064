# Activation building blocks: self-test, health window, device policy,
# update events (docs/ota.md, "Activation").
add_library(edgerun_ota_activation STATIC
  ota/device_policy.cc
  ota/events.cc
  ota/health_monitor.cc
  ota/self_test.cc
)
target_link_libraries(edgerun_ota_activation PUBLIC edgerun_session edgerun_io
  PRIVATE nlohmann_json::nlohmann_json)
target_link_libraries(edgerun_ota INTERFACE edgerun_ota_activation)
if(EDGERUN_BUILD_TESTS)
  edgerun_test(ota_activation_test
    SOURCES ota/self_test_test.cc ota/health_monitor_test.cc
            ota/device_policy_test.cc ota/events_test.cc
    DEPS edgerun_ota_activation nlohmann_json::nlohmann_json LABELS unit)
  target_compile_options(ota_activation_test PRIVATE
    -Wno-missing-field-initializers)
endif()
