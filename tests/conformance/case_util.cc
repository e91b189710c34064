#include "tests/conformance/case_util.h"

#include <utility>

namespace edgerun::conformance {
namespace {

ConformanceCase BuildCase(std::string name, OpCode op,
                          std::vector<Operand> operands,
                          std::vector<Operand> outputs,
                          std::vector<std::string> output_names,
                          OpOptions options) {
  ConformanceCase c;
  c.name = std::move(name);
  int input_index = 0;
  for (const Operand& o : operands) {
    if (o.constant.has_value()) continue;
    if (o.fixed.has_value()) {
      NpyArray a;
      a.type = o.type;
      a.shape.assign(o.shape.begin(), o.shape.end());
      a.data = *o.fixed;
      c.fixed_inputs.emplace_back(input_index, std::move(a));
    }
    ++input_index;
  }
  c.build = [=]() -> StatusOr<std::vector<uint8_t>> {
    ModelBuilder b;
    SubgraphBuilder& g = b.AddSubgraph("main");
    std::vector<int32_t> ids;
    for (size_t i = 0; i < operands.size(); ++i) {
      const Operand& o = operands[i];
      const std::string n = "in" + std::to_string(i);
      ids.push_back(
          o.constant.has_value()
              ? g.AddConstTensor(n, o.type, o.shape, *o.constant, o.quant)
              : g.AddInput(n, o.type, o.shape, o.quant));
    }
    std::vector<int32_t> outs;
    for (size_t i = 0; i < outputs.size(); ++i) {
      const Operand& o = outputs[i];
      outs.push_back(g.AddOutput(output_names[i], o.type, o.shape, o.quant));
    }
    g.AddOperator(op, ids, outs, options);
    return b.Finish();
  };
  return c;
}

}  // namespace

Operand In(DataType type, std::vector<int32_t> shape) {
  Operand o;
  o.type = type;
  o.shape = std::move(shape);
  return o;
}

Operand QIn(DataType type, std::vector<int32_t> shape, float scale,
            int64_t zero_point) {
  Operand o = In(type, std::move(shape));
  o.quant = QuantizationSpec::PerTensor(scale, zero_point);
  return o;
}

ConformanceCase OpCase(std::string name, OpCode op,
                       std::vector<Operand> operands, Operand output,
                       OpOptions options) {
  return BuildCase(std::move(name), op, std::move(operands),
                   {std::move(output)}, {"out"}, std::move(options));
}

ConformanceCase OpCaseN(std::string name, OpCode op,
                        std::vector<Operand> operands,
                        std::vector<Operand> outputs, OpOptions options) {
  std::vector<std::string> names;
  for (size_t i = 0; i < outputs.size(); ++i) {
    names.push_back("out" + std::to_string(i));
  }
  return BuildCase(std::move(name), op, std::move(operands), std::move(outputs),
                   std::move(names), std::move(options));
}

Rng::Rng(const std::string& name) {
  uint32_t seed = 2166136261u;
  for (char ch : name) seed = (seed ^ static_cast<uint8_t>(ch)) * 16777619u;
  state_ = seed * 2654435761u + 1;
}

}  // namespace edgerun::conformance
