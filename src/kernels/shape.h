// Shape: tensor dimensions (rank 0 = scalar).
// Thread-safety: value type.
#ifndef EDGERUN_KERNELS_SHAPE_H_
#define EDGERUN_KERNELS_SHAPE_H_

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

namespace edgerun::kernels {

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int32_t> dims) : dims_(dims) {}
  explicit Shape(std::span<const int32_t> dims)
      : dims_(dims.begin(), dims.end()) {}
  explicit Shape(std::vector<int32_t> dims) : dims_(std::move(dims)) {}

  int rank() const { return static_cast<int>(dims_.size()); }
  int32_t dim(int i) const { return dims_[i]; }
  int32_t operator[](int i) const { return dims_[i]; }
  void set_dim(int i, int32_t v) { dims_[i] = v; }
  void push_back(int32_t v) { dims_.push_back(v); }
  const std::vector<int32_t>& dims() const { return dims_; }
  std::span<const int32_t> span() const { return dims_; }

  // Product of all dims (1 for a scalar). Shapes are validated at load and
  // in Prepare, so this does not overflow for accepted tensors.
  int64_t NumElements() const {
    int64_t n = 1;
    for (int32_t d : dims_) n *= d;
    return n;
  }
  // Product of dims [begin, end).
  int64_t FlatSize(int begin, int end) const {
    int64_t n = 1;
    for (int i = begin; i < end; ++i) n *= dims_[i];
    return n;
  }

  std::string ToString() const {
    std::string s = "[";
    for (size_t i = 0; i < dims_.size(); ++i) {
      if (i) s += ",";
      s += std::to_string(dims_[i]);
    }
    return s + "]";
  }

  friend bool operator==(const Shape& a, const Shape& b) {
    return a.dims_ == b.dims_;
  }

 private:
  std::vector<int32_t> dims_;
};

}  // namespace edgerun::kernels

#endif  // EDGERUN_KERNELS_SHAPE_H_
