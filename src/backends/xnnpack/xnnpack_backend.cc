#include "backends/xnnpack/xnnpack_backend.h"

#include <string>
#include <vector>

#include "backends/xnnpack/xnnpack_program.h"
#include "backends/xnnpack/xnnpack_status.h"
#include "backends/xnnpack/xnnpack_support.h"

namespace edgerun::backends::xnnpack {
namespace {

// A compiled segment: a reference to the shared program for the current
// shapes plus this interpreter's external bindings.
//
// Ownership: shares the SharedProgram (and so the packed weights) with other
// segments of the same model; borrows the graph's tensors at Execute.
// Thread-safety: one thread at a time (the owning interpreter's); the
// runtime it leases is exclusively its own during Execute.
class XnnpackSegment final : public CompiledSegment {
 public:
  XnnpackSegment(Segment segment, int num_threads,
                 std::shared_ptr<SharedProgram> program)
      : segment_(std::move(segment)),
        num_threads_(num_threads),
        program_(std::move(program)) {
    Bind();
  }

  Status Reshape(const planner::GraphView& graph) override {
    ASSIGN_OR_RETURN(Program desc,
                     DescribeSegment(graph, segment_, num_threads_));
    if (desc.key == program_->program().key) return OkStatus();
    ASSIGN_OR_RETURN(program_,
                     ProgramCache::Global().GetOrCreate(std::move(desc)));
    Bind();
    return OkStatus();
  }

  Status Execute(const planner::GraphView& graph) override {
    const std::vector<int>& tensors = program_->program().external_tensors;
    for (size_t i = 0; i < tensors.size(); ++i) {
      void* data = graph.tensor(tensors[i]).data;
      if (data == nullptr) {
        return FailedPreconditionError(
            "XNNPACK segment: tensor " + std::to_string(tensors[i]) +
            " has no memory (Reshape not called after allocation?)");
      }
      pointers_[i] = data;
    }
    ASSIGN_OR_RETURN(SharedProgram::Lease lease, program_->Acquire());
    if (lease->bound != pointers_) {
      // Another interpreter used this runtime last, or our memory moved.
      for (size_t i = 0; i < pointers_.size(); ++i)
        externals_[i].data = pointers_[i];
      RETURN_IF_ERROR(
          FromXnnStatus(xnn_setup_runtime(lease->runtime, externals_.size(),
                                          externals_.data()),
                        "xnn_setup_runtime"));
      lease->bound = pointers_;
    }
    return FromXnnStatus(xnn_invoke_runtime(lease->runtime),
                         "xnn_invoke_runtime");
  }

  size_t packed_weight_bytes() const override {
    return program_->program().static_bytes;
  }

 private:
  void Bind() {
    const size_t n = program_->program().external_tensors.size();
    externals_.resize(n);
    for (size_t i = 0; i < n; ++i) {
      externals_[i].id = static_cast<uint32_t>(i);
      externals_[i].data = nullptr;
    }
    pointers_.assign(n, nullptr);
  }

  const Segment segment_;
  const int num_threads_;
  std::shared_ptr<SharedProgram> program_;
  std::vector<xnn_external_value> externals_;
  std::vector<void*> pointers_;
};

class XnnpackBackend final : public Backend {
 public:
  std::string_view name() const override { return "xnnpack"; }

  bool IsAvailable() const override { return EnsureXnnpackInitialized().ok(); }

  planner::NodeSupport Supports(const planner::GraphView& graph,
                                int node) const override {
    if (!IsAvailable()) {
      return planner::NodeSupport::No("XNNPACK is not available on this CPU");
    }
    return PlanNode(graph, node, nullptr);
  }

  StatusOr<std::unique_ptr<CompiledSegment>> Compile(
      const planner::GraphView& graph, const Segment& segment,
      const BackendOptions& options) const override {
    RETURN_IF_ERROR(EnsureXnnpackInitialized());
    if (segment.nodes.empty()) {
      return InvalidArgumentError("XNNPACK: empty segment");
    }
    ASSIGN_OR_RETURN(Program desc,
                     DescribeSegment(graph, segment, options.num_threads));
    ASSIGN_OR_RETURN(std::shared_ptr<SharedProgram> program,
                     ProgramCache::Global().GetOrCreate(std::move(desc)));
    return std::unique_ptr<CompiledSegment>(std::make_unique<XnnpackSegment>(
        segment, options.num_threads, std::move(program)));
  }
};

}  // namespace

std::unique_ptr<Backend> CreateXnnpackBackend() {
  return std::make_unique<XnnpackBackend>();
}

}  // namespace edgerun::backends::xnnpack
