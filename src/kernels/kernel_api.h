// The contract between the runtime and CPU kernels.
//
// A kernel is an OpKernel subclass created once per node. The runtime calls
//   Prepare(ctx)  at AllocateTensors / after a resize: validate EVERYTHING
//                 (types, ranks, shapes, params, quantization) and set output
//                 shapes; precompute multipliers and pick the Eval variant.
//   Eval(ctx)     at Invoke: compute, trusting Prepare. Returns an error only
//                 for data-dependent failures (e.g. an index out of range in
//                 a GATHER input).
// Errors come back as Status; the runtime prefixes "node N (OP): ".
//
// Data-dependent output shapes (RESHAPE by a computed shape tensor, SHAPE,
// FILL, TRANSPOSE_CONV with a computed output_shape, ...): when
// ctx.HasValues(input) is false during Prepare, the kernel calls
// ctx.SetOutputsDynamic() and returns OK; the runtime then re-runs Prepare
// right before Eval, when every input has its values, and allocates the
// outputs on the heap. Nodes downstream of a dynamic tensor are re-prepared
// the same way automatically.
//
// Shared prepared data: what a kernel derives from constant tensors only
// (packed filters, widened weights, output stages) it gets through
// GetOrCreateShared, so every interpreter of one loaded model holds a single
// copy (kernels/shared_data_cache.h). Data derived from tensors the graph
// computes is never shared.
//
// Thread-safety: a kernel instance belongs to one interpreter, which is used
// by one thread at a time; kernels keep no global mutable state. Shared data
// is immutable once made.
#ifndef EDGERUN_KERNELS_KERNEL_API_H_
#define EDGERUN_KERNELS_KERNEL_API_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include "edgerun/base/status.h"
#include "edgerun/format/types.h"
#include "kernels/shape.h"

namespace edgerun::tfl {
struct Operator;
}

namespace edgerun::kernels {

// Quantization of a tensor: real = scale * (q - zero_point).
struct QuantParams {
  std::vector<float> scale;  // empty = not quantized
  std::vector<int64_t> zero_point;
  int32_t quantized_dimension = 0;

  bool quantized() const { return !scale.empty(); }
  bool per_channel() const { return scale.size() > 1; }
  float scale0() const { return scale.empty() ? 0.f : scale[0]; }
  int32_t zero_point0() const {
    return zero_point.empty() ? 0 : static_cast<int32_t>(zero_point[0]);
  }
};

// A tensor as kernels see it. The runtime owns the memory behind `data`.
struct Tensor {
  DataType type = DataType::kFloat32;
  Shape shape;
  void* data = nullptr;   // null until allocated; null for 0 bytes too
  size_t bytes = 0;       // capacity of `data`
  QuantParams quant;
  std::string name;
  bool is_constant = false;  // data points into the model, read-only
  bool is_variable = false;  // state kept across invokes (LSTM, SVDF)
  bool is_dynamic = false;   // shape known only at Eval time

  int64_t NumElements() const { return shape.NumElements(); }
  template <typename T>
  T* data_as() {
    return static_cast<T*>(data);
  }
  template <typename T>
  const T* data_as() const {
    return static_cast<const T*>(data);
  }
};

// The node a kernel runs for.
struct NodeInfo {
  int index = 0;                // position in the subgraph's execution order
  int builtin_code = 0;         // tfl::BuiltinOperator value (32 = CUSTOM)
  std::string op_name;          // "CONV_2D" or the custom code
  int version = 1;
  const tfl::Operator* op = nullptr;  // FlatBuffers table: builtin_options
  std::span<const uint8_t> custom_options;
};

// Immutable data a kernel prepared from constant tensors, and its size in
// bytes (for memory statistics).
struct SharedData {
  std::shared_ptr<const void> data;
  size_t bytes = 0;
};

// Builds a GetOrCreateShared key from the raw bytes of the values the
// shared data depends on. Add scalars (no structs: padding bytes are
// undefined), vectors of scalars, and tensors.
class SharedKey {
 public:
  // `kind` names the data and its layout, e.g. "conv_2d/gemm".
  explicit SharedKey(std::string_view kind) : key_(kind) { key_.push_back('\0'); }

  template <typename T>
    requires std::is_arithmetic_v<T> || std::is_enum_v<T> ||
             std::is_pointer_v<T>
  SharedKey& Add(T value) {
    key_.append(reinterpret_cast<const char*>(&value), sizeof(value));
    return *this;
  }
  template <typename T>
    requires std::is_arithmetic_v<T>
  SharedKey& Add(const std::vector<T>& values) {
    Add(values.size());
    key_.append(reinterpret_cast<const char*>(values.data()),
                sizeof(T) * values.size());
    return *this;
  }
  // A constant tensor: type, shape, data address and size (the address
  // identifies the constant buffer within the model) and quantization.
  // `tensor` may be null (an omitted optional input).
  SharedKey& AddConstant(const Tensor* tensor);

  const std::string& str() const { return key_; }

 private:
  std::string key_;
};

class KernelContext {
 public:
  virtual ~KernelContext() = default;

  virtual const NodeInfo& node() const = 0;
  virtual int num_inputs() const = 0;
  virtual int num_outputs() const = 0;
  // nullptr for an omitted optional input (-1 in the model) or i out of
  // range; Prepare must check the inputs it needs.
  virtual const Tensor* input(int i) const = 0;
  // Variable inputs (LSTM/SVDF state) are written by the op.
  virtual Tensor* mutable_input(int i) = 0;
  virtual Tensor* output(int i) = 0;
  // Intermediate tensors listed by the node (quantized LSTM scales).
  virtual int num_intermediates() const { return 0; }
  virtual const Tensor* intermediate(int i) const { return nullptr; }

  // True when input i's values can be read now: constant, or during Eval
  // (and a Prepare re-run right before Eval).
  virtual bool HasValues(int i) const = 0;

  // Sets output i's shape (Prepare, or Eval for dynamic outputs).
  virtual Status ResizeOutput(int i, const Shape& shape) = 0;
  // Defers this node's Prepare to Invoke time (see file comment).
  virtual void SetOutputsDynamic() = 0;

  // Scratch memory: request in Prepare (returns a handle), get the pointer
  // in Eval. Scratch is shared between nodes; contents do not persist.
  virtual Status RequestScratch(size_t bytes, int* handle) = 0;
  virtual void* Scratch(int handle) = 0;

  // True when the node runs on another backend and the runtime only needs
  // its output shapes: heavy kernels skip weight packing and scratch. Eval
  // is not called after such a Prepare (a full Prepare comes first).
  virtual bool shape_only() const { return false; }

  // Data prepared from constant tensors only, shared by every interpreter
  // of the model: returns the live data stored under `key` or stores and
  // returns make()'s. `key` must capture everything the data depends on
  // (SharedKey). Call from Prepare. The default (contexts without a cache:
  // tests, other runtimes) just calls make().
  virtual SharedData GetOrCreateShared(
      std::string_view key, const std::function<SharedData()>& make) {
    return make();
  }

  // Builds an error naming the node: "node 7 (CONV_2D): <message>".
  Status Error(StatusCode code, const std::string& message) const;
  Status InvalidArgument(const std::string& message) const {
    return Error(StatusCode::kInvalidArgument, message);
  }
  Status Unimplemented(const std::string& message) const {
    return Error(StatusCode::kUnimplemented, message);
  }
};

class OpKernel {
 public:
  virtual ~OpKernel() = default;
  virtual Status Prepare(KernelContext& ctx) = 0;
  virtual Status Eval(KernelContext& ctx) = 0;
};

using KernelFactory = std::unique_ptr<OpKernel> (*)();

// Typed GetOrCreateShared: `make` returns a std::shared_ptr<T> (T has
// `size_t ByteSize() const`). The key is prefixed with T's type name, so
// equal keys always hold the same type.
template <typename T, typename Make>
std::shared_ptr<const T> GetOrCreateShared(KernelContext& ctx,
                                           const SharedKey& key, Make&& make) {
  const std::string full_key = std::string(typeid(T).name()) + '\0' + key.str();
  SharedData shared = ctx.GetOrCreateShared(full_key, [&make] {
    std::shared_ptr<const T> data = make();
    const size_t bytes = data != nullptr ? data->ByteSize() : 0;
    return SharedData{std::move(data), bytes};
  });
  return std::static_pointer_cast<const T>(std::move(shared.data));
}

}  // namespace edgerun::kernels

#endif  // EDGERUN_KERNELS_KERNEL_API_H_
