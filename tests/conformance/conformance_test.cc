// Runs every committed case in tests/conformance/cases/<case>/ (model.tflite,
// input_<i>.npy and output_<i>.npy written by the real TFLite runtime) on
// the CPU interpreter and compares with the project's conformance rules.
#include <gtest/gtest.h>

#include <filesystem>

#include "backends/backend.h"
#include "edgerun/format/model_file.h"
#include "edgerun/io/npy.h"
#include "edgerun/runtime/interpreter.h"
#include "tests/support/output_compare.h"
#include "tests/support/shared_data.h"

namespace edgerun {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> CaseDirs() {
  std::vector<std::string> dirs;
  const fs::path root = fs::path(testing::SourceDir()) / "tests/conformance/cases";
  if (!fs::exists(root)) return dirs;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (fs::exists(entry.path() / "model.tflite") &&
        fs::exists(entry.path() / "output_0.npy")) {
      dirs.push_back(entry.path().string());
    }
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

class ConformanceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ConformanceTest, MatchesTfLite) {
  const fs::path dir = GetParam();
  auto model = LoadModelFromFile((dir / "model.tflite").string());
  ASSERT_TRUE(model.ok()) << model.status();
  auto interp = Interpreter::Create(*model);
  ASSERT_TRUE(interp.ok()) << interp.status();
  Interpreter& it = **interp;
  for (int i = 0; i < it.num_inputs(); ++i) {
    auto array = ReadNpy((dir / ("input_" + std::to_string(i) + ".npy")).string());
    ASSERT_TRUE(array.ok()) << array.status();
    std::vector<int32_t> shape(array->shape.begin(), array->shape.end());
    if (shape != it.input(i).shape()) {
      ASSERT_TRUE(it.ResizeInput(i, shape).ok());
    }
    const Status s = it.SetInput(i, array->data);
    ASSERT_TRUE(s.ok()) << s;
  }
  const Status invoked = it.Invoke();
  ASSERT_TRUE(invoked.ok()) << invoked;
  for (int o = 0; o < it.num_outputs(); ++o) {
    auto want = ReadNpy((dir / ("output_" + std::to_string(o) + ".npy")).string());
    ASSERT_TRUE(want.ok()) << want.status();
    const TensorRef got = it.output(o);
    std::vector<int32_t> want_shape(want->shape.begin(), want->shape.end());
    EXPECT_EQ(got.shape(), want_shape) << "output " << o;
    const testing::Comparison c = testing::CompareOutput(got, *want);
    EXPECT_TRUE(c.Passes(want->type == DataType::kFloat32))
        << "output " << o << ": max diff " << c.max_diff << ", exact "
        << c.exact_percent() << "%";
  }
}

// Loads a case's inputs into `it` (resizing when the files say so).
void SetInputs(const fs::path& dir, Interpreter& it) {
  for (int i = 0; i < it.num_inputs(); ++i) {
    auto array = ReadNpy((dir / ("input_" + std::to_string(i) + ".npy")).string());
    ASSERT_TRUE(array.ok()) << array.status();
    std::vector<int32_t> shape(array->shape.begin(), array->shape.end());
    if (shape != it.input(i).shape()) ASSERT_TRUE(it.ResizeInput(i, shape).ok());
    const Status s = it.SetInput(i, array->data);
    ASSERT_TRUE(s.ok()) << s;
  }
}

// Every case on every backend of this build against the CPU kernels: nodes
// a backend takes must give the CPU's results (integers within 1, floats
// within 1e-4 relative); nodes it refuses fall back to the CPU.
class BackendConformanceTest
    : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(BackendConformanceTest, MatchesCpu) {
  const fs::path dir = std::get<0>(GetParam());
  const std::string backend = std::get<1>(GetParam());
  auto model = LoadModelFromFile((dir / "model.tflite").string());
  ASSERT_TRUE(model.ok()) << model.status();
  auto reference = Interpreter::Create(*model);
  ASSERT_TRUE(reference.ok()) << reference.status();
  InterpreterOptions options;
  options.backends = {backend, "cpu"};
  auto tested = Interpreter::Create(*model, options);
  ASSERT_TRUE(tested.ok()) << tested.status();
  for (Interpreter* it : {reference->get(), tested->get()}) {
    SetInputs(dir, *it);
    const Status s = it->Invoke();
    ASSERT_TRUE(s.ok()) << s;
  }
  for (int o = 0; o < (*reference)->num_outputs(); ++o) {
    const TensorRef want = (*reference)->output(o);
    NpyArray expected;
    expected.type = want.type();
    for (int32_t d : want.shape()) expected.shape.push_back(d);
    const auto* p = static_cast<const uint8_t*>(want.data());
    expected.data.assign(p, p + want.bytes());
    const testing::Comparison c = testing::CompareOutput((*tested)->output(o), expected);
    ASSERT_TRUE(c.supported) << "output " << o << " type/shape differs";
    EXPECT_TRUE(want.type() == DataType::kFloat32 ? c.float_within_tolerance
                                                  : c.max_diff <= 1.0)
        << backend << " output " << o << ": max diff " << c.max_diff << "\n"
        << (*tested)->execution_plan().ToString();
  }
}

std::vector<std::tuple<std::string, std::string>> BackendCases() {
  std::vector<std::tuple<std::string, std::string>> cases;
  for (const std::string& backend : backends::BuiltinBackends().Names()) {
    for (const std::string& dir : CaseDirs()) cases.emplace_back(dir, backend);
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(
    Backends, BackendConformanceTest, ::testing::ValuesIn(BackendCases()),
    [](const ::testing::TestParamInfo<std::tuple<std::string, std::string>>& info) {
      std::string name = std::get<1>(info.param) + "_" +
                         fs::path(std::get<0>(info.param)).filename().string();
      for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name;
    });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(BackendConformanceTest);

std::string CaseName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = fs::path(info.param).filename().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Cases, ConformanceTest, ::testing::ValuesIn(CaseDirs()),
                         CaseName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ConformanceTest);

}  // namespace
}  // namespace edgerun
