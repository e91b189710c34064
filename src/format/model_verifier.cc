#include "format/model_verifier.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdint>
#include <string_view>

#include "edgerun/format/types.h"

namespace edgerun::format_internal {
namespace {

// Rank above which a shape is taken as hostile rather than a real tensor.
constexpr size_t kMaxRank = 16;
// Names from the file are cut to this many bytes in messages.
constexpr size_t kMaxNameInMessage = 64;
// FlatBuffers tables may be shared and index lists may repeat, so a small
// file can unfold into a huge model for anything that walks it (this check,
// SummarizeModel, graph views). Honest models unfold to about their file
// size; more than kMaxExpansion times that, plus kMinBudget, is refused.
constexpr uint64_t kMaxExpansion = 8;
constexpr uint64_t kMinBudget = uint64_t{1} << 20;
// Work charged per table visited, on top of its vectors and strings.
constexpr uint64_t kEntryCost = 16;

template <typename T>
size_t Size(const flatbuffers::Vector<T>* v) {
  return v == nullptr ? 0 : v->size();
}

// A name from the file fit for a one-line message: control characters are
// escaped (a newline would split the CLI's error line) and long names cut
// (labels are built per tensor; full names would make checking quadratic).
std::string Printable(std::string_view name) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < name.size() && i < kMaxNameInMessage; ++i) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7f) {
      out += {'\\', 'x', kHex[c >> 4], kHex[c & 0xf]};
    } else {
      out += static_cast<char>(c);
    }
  }
  if (name.size() > kMaxNameInMessage) out += "...";
  return out;
}

std::string Quote(const flatbuffers::String* s) {
  if (s == nullptr) return "''";
  return "'" + Printable(s->string_view()) + "'";
}

// OperatorCodeName for messages: the custom name made Printable.
std::string OperatorLabel(const tfl::OperatorCode& code) {
  if (EffectiveBuiltinCode(code) != tfl::BuiltinOperator_CUSTOM) {
    return OperatorCodeName(code);
  }
  return "CUSTOM:" + (code.custom_code() != nullptr
                          ? Printable(code.custom_code()->string_view())
                          : std::string());
}

// Work to visit a tensor and copy what a summary keeps of it.
uint64_t TensorCost(const tfl::Tensor& t) {
  const tfl::QuantizationParameters* q = t.quantization();
  return kEntryCost + Size(t.name()) + Size(t.shape()) +
         Size(t.shape_signature()) +
         (q == nullptr ? 0 : Size(q->scale()) + Size(q->zero_point()));
}

// Names one tensor in messages: "subgraph 0 tensor 12 'conv1/weights'".
std::string TensorLabel(size_t subgraph, size_t index, const tfl::Tensor* t) {
  std::string label = "subgraph " + std::to_string(subgraph) + " tensor " +
                      std::to_string(index);
  if (t != nullptr && t->name() != nullptr) label += " " + Quote(t->name());
  return label;
}

class SemanticChecker {
 public:
  SemanticChecker(const tfl::Model& model, std::span<const uint8_t> file,
                  std::vector<std::string>* warnings)
      : model_(model),
        file_(file),
        file_size_(file.size()),
        warnings_(warnings),
        budget_(kMaxExpansion * file.size() + kMinBudget) {}

  Status Run() {
    if (Size(model_.subgraphs()) == 0) {
      return DataLossError("model has no subgraphs");
    }
    RETURN_IF_ERROR(CheckBuffers());
    RETURN_IF_ERROR(CheckOperatorCodes());
    for (size_t s = 0; s < model_.subgraphs()->size(); ++s) {
      RETURN_IF_ERROR(CheckSubgraph(s, *model_.subgraphs()->Get(s)));
    }
    RETURN_IF_ERROR(CheckSignatures());
    return CheckMetadata();
  }

 private:
  // Size of buffer `index`'s data (inline or external); 0 when none.
  uint64_t BufferBytes(uint32_t index) const {
    const tfl::Buffer* b = model_.buffers()->Get(index);
    if (b == nullptr) return 0;
    if (b->offset() > 1) return b->size();
    return Size(b->data());
  }

  // Takes `units` of work from the budget (see kMaxExpansion).
  Status Charge(const std::string& label, uint64_t units) {
    if (units <= budget_) {
      budget_ -= units;
      return OkStatus();
    }
    return DataLossError(
        label + ": the model unfolds to more than " +
        std::to_string(kMaxExpansion) +
        " times its file size (shared tables or repeated entries)");
  }

  Status CheckBuffers() {
    for (size_t i = 0; i < Size(model_.buffers()); ++i) {
      const tfl::Buffer* b = model_.buffers()->Get(i);
      if (b == nullptr) continue;
      // Readers may touch (or, when misaligned, copy) each entry's data.
      RETURN_IF_ERROR(
          Charge("buffer " + std::to_string(i),
                 kEntryCost + BufferBytes(static_cast<uint32_t>(i))));
      if (b->offset() > 1) {
        if (Size(b->data()) != 0) {
          return DataLossError("buffer " + std::to_string(i) +
                               " has both inline data and an external offset");
        }
        if (b->offset() > file_size_ || b->size() > file_size_ - b->offset()) {
          return DataLossError(
              "buffer " + std::to_string(i) + " points outside the file: offset " +
              std::to_string(b->offset()) + " + size " +
              std::to_string(b->size()) + " > file size " +
              std::to_string(file_size_));
        }
      } else if (b->size() != 0 && Size(b->data()) == 0 && b->offset() == 1) {
        // offset 1 with a size is the writer's placeholder for an empty
        // external buffer; nothing to read.
      }
    }
    if (Size(model_.buffers()) > 0 && BufferBytes(0) != 0) {
      warnings_->push_back(
          "buffer 0 holds data; by convention it is the empty sentinel");
    }
    return OkStatus();
  }

  Status CheckOperatorCodes() {
    for (size_t i = 0; i < Size(model_.operator_codes()); ++i) {
      const tfl::OperatorCode* code = model_.operator_codes()->Get(i);
      const std::string label = "operator code " + std::to_string(i);
      if (code == nullptr) return DataLossError(label + " is null");
      RETURN_IF_ERROR(Charge(label, kEntryCost + Size(code->custom_code())));
      if (code->deprecated_builtin_code() < 0) {
        return DataLossError(label + " has a negative builtin code " +
                             std::to_string(code->deprecated_builtin_code()));
      }
      if (static_cast<int>(code->builtin_code()) < 0) {
        return DataLossError(
            label + " has a negative builtin code " +
            std::to_string(static_cast<int>(code->builtin_code())));
      }
      if (code->version() < 1) {
        return DataLossError(label + " has version " +
                             std::to_string(code->version()) +
                             "; versions start at 1");
      }
      if (EffectiveBuiltinCode(*code) == tfl::BuiltinOperator_CUSTOM &&
          (code->custom_code() == nullptr || code->custom_code()->size() == 0)) {
        return DataLossError(label + " is CUSTOM but has no custom_code name");
      }
    }
    return OkStatus();
  }

  Status CheckQuantization(const std::string& label, const tfl::Tensor& t) {
    const tfl::QuantizationParameters* q = t.quantization();
    if (q == nullptr) return OkStatus();
    const size_t scales = Size(q->scale());
    const size_t zeros = Size(q->zero_point());
    if (scales != zeros) {
      return DataLossError(label + ": quantization has " +
                           std::to_string(scales) + " scales but " +
                           std::to_string(zeros) + " zero points");
    }
    // FlatBuffers verifies the alignment of a vector's length, not of its
    // elements: int64 zero points at 4 mod 8 would be misaligned loads.
    if (zeros > 0 &&
        reinterpret_cast<uintptr_t>(q->zero_point()->Data()) %
                alignof(int64_t) != 0) {
      return DataLossError(label +
                           ": quantization zero_point array is misaligned");
    }
    for (size_t i = 0; i < scales; ++i) {
      if (!std::isfinite(q->scale()->Get(i))) {
        return DataLossError(label + ": quantization scale " +
                             std::to_string(i) + " is not finite");
      }
    }
    if (scales <= 1) return OkStatus();
    const size_t rank = Size(t.shape());
    const int32_t dim = q->quantized_dimension();
    if (dim < 0 || static_cast<size_t>(dim) >= rank) {
      // TFLite Micro ignores the field on rank-1 per-channel vectors (e.g.
      // person_detect's biases say 3); accept that one case like it does.
      if (rank == 1 && static_cast<size_t>(t.shape()->Get(0)) == scales) {
        warnings_->push_back(label + ": quantized_dimension " +
                             std::to_string(dim) +
                             " is out of range for rank 1; treated as 0");
        return OkStatus();
      }
      return DataLossError(label + ": quantized_dimension " +
                           std::to_string(dim) + " is out of range for rank " +
                           std::to_string(rank));
    }
    const int32_t extent = t.shape()->Get(dim);
    if (static_cast<size_t>(extent) != scales) {
      return DataLossError(label + ": " + std::to_string(scales) +
                           " per-channel scales but dimension " +
                           std::to_string(dim) + " has size " +
                           std::to_string(extent));
    }
    return OkStatus();
  }

  // Checks a string tensor's buffer: int32 count N, N + 1 int32 offsets,
  // non-decreasing and inside the buffer.
  Status CheckStringBuffer(const std::string& label, uint32_t buffer,
                           uint64_t elements) {
    const tfl::Buffer* b = model_.buffers()->Get(buffer);
    // External data lies inside the file: CheckBuffers ran first.
    const uint8_t* data =
        b->offset() > 1 ? file_.data() + b->offset() : b->data()->data();
    const uint64_t size = b->offset() > 1 ? b->size() : b->data()->size();
    auto read_i32 = [&](uint64_t at) {
      int32_t v;
      std::memcpy(&v, data + at, 4);
      return v;
    };
    if (size < 4) return DataLossError(label + ": string buffer too short");
    const int32_t count = read_i32(0);
    if (count < 0 || static_cast<uint64_t>(count) != elements) {
      return DataLossError(label + ": string buffer holds " +
                           std::to_string(count) + " strings, shape needs " +
                           std::to_string(elements));
    }
    RETURN_IF_ERROR(Charge(label, static_cast<uint64_t>(count)));
    const uint64_t header = 4 + 4 * (static_cast<uint64_t>(count) + 1);
    if (header > size) return DataLossError(label + ": string buffer too short");
    int64_t previous = static_cast<int64_t>(header);
    for (int32_t i = 0; i <= count; ++i) {
      const int64_t offset = read_i32(4 + 4 * static_cast<uint64_t>(i));
      if (offset < previous || static_cast<uint64_t>(offset) > size) {
        return DataLossError(label + ": string offset " + std::to_string(i) +
                             " is out of order or outside the buffer");
      }
      previous = offset;
    }
    return OkStatus();
  }

  Status CheckTensor(size_t s, size_t i, const tfl::Tensor* t,
                     size_t num_buffers) {
    const std::string label = TensorLabel(s, i, t);
    if (t == nullptr) return DataLossError(label + " is null");
    RETURN_IF_ERROR(Charge(label, TensorCost(*t)));
    if (!IsKnownDataType(t->type())) {
      return DataLossError(label + " has unknown type " +
                           std::to_string(static_cast<int>(t->type())));
    }
    const DataType type = static_cast<DataType>(t->type());
    const size_t rank = Size(t->shape());
    if (rank > kMaxRank) {
      return DataLossError(label + " has rank " + std::to_string(rank) +
                           " (limit " + std::to_string(kMaxRank) + ")");
    }
    uint64_t elements = 1;
    for (size_t d = 0; d < rank; ++d) {
      const int32_t extent = t->shape()->Get(d);
      if (extent < 0) {
        return DataLossError(label + " has negative dimension " +
                             std::to_string(extent) + " at axis " +
                             std::to_string(d) +
                             " (dynamic sizes belong in shape_signature)");
      }
      if (__builtin_mul_overflow(elements, static_cast<uint64_t>(extent),
                                 &elements) ||
          elements > (uint64_t{1} << 48)) {
        return DataLossError(label + " has an element count that overflows");
      }
    }
    if (t->shape_signature() != nullptr) {
      if (Size(t->shape_signature()) != rank) {
        return DataLossError(label + ": shape_signature has rank " +
                             std::to_string(Size(t->shape_signature())) +
                             ", shape has rank " + std::to_string(rank));
      }
      for (size_t d = 0; d < rank; ++d) {
        const int32_t sig = t->shape_signature()->Get(d);
        if (sig < -1 || (sig != -1 && sig != t->shape()->Get(d))) {
          return DataLossError(label + ": shape_signature[" +
                               std::to_string(d) + "] = " +
                               std::to_string(sig) + " disagrees with shape " +
                               std::to_string(t->shape()->Get(d)));
        }
      }
    }
    if (t->buffer() >= num_buffers && !(t->buffer() == 0 && num_buffers == 0)) {
      return DataLossError(label + " refers to buffer " +
                           std::to_string(t->buffer()) + " but the model has " +
                           std::to_string(num_buffers));
    }
    if (t->sparsity() != nullptr) {
      return UnimplementedError(label +
                                " is sparse; sparse tensors are not supported "
                                "yet (densify the model when converting)");
    }
    RETURN_IF_ERROR(CheckQuantization(label, *t));
    if (num_buffers == 0) return OkStatus();
    const uint64_t bytes = BufferBytes(t->buffer());
    if (bytes == 0) return OkStatus();
    if (type == DataType::kString) {
      return CheckStringBuffer(label, t->buffer(), elements);
    }
    const std::optional<uint64_t> expected = ConstantByteSize(type, elements);
    if (!expected.has_value()) {
      return DataLossError(label + " of type " +
                           std::string(DataTypeName(type)) +
                           " cannot hold constant data");
    }
    const bool unpacked_int4 = type == DataType::kInt4 && bytes == elements;
    if (bytes != *expected && !unpacked_int4) {
      return DataLossError(label + ": buffer " + std::to_string(t->buffer()) +
                           " has " + std::to_string(bytes) + " bytes, shape " +
                           ShapeString(*t) + " of " +
                           std::string(DataTypeName(type)) + " needs " +
                           std::to_string(*expected));
    }
    return OkStatus();
  }

  static std::string ShapeString(const tfl::Tensor& t) {
    std::string out = "[";
    for (size_t d = 0; d < Size(t.shape()); ++d) {
      if (d > 0) out += ",";
      out += std::to_string(t.shape()->Get(d));
    }
    return out + "]";
  }

  Status CheckIndexList(const std::string& what,
                        const flatbuffers::Vector<int32_t>* list,
                        size_t num_tensors, bool allow_optional) {
    for (size_t k = 0; k < Size(list); ++k) {
      const int32_t index = list->Get(k);
      if (index == -1 && allow_optional) continue;
      if (index < 0 || static_cast<size_t>(index) >= num_tensors) {
        return DataLossError(what + " " + std::to_string(k) + " is tensor " +
                             std::to_string(index) + ", outside [0, " +
                             std::to_string(num_tensors) + ")");
      }
    }
    return OkStatus();
  }

  Status CheckSubgraphIndex(const std::string& label, const char* field,
                            int32_t index) {
    if (index < 0 || static_cast<size_t>(index) >= model_.subgraphs()->size()) {
      return DataLossError(label + ": " + field + " " + std::to_string(index) +
                           " is not a subgraph (model has " +
                           std::to_string(model_.subgraphs()->size()) + ")");
    }
    return OkStatus();
  }

  // Ops that name other subgraphs must name existing ones.
  Status CheckSubgraphReferences(const std::string& label,
                                 const tfl::Operator& op) {
    if (const auto* o = op.builtin_options_as_WhileOptions()) {
      RETURN_IF_ERROR(CheckSubgraphIndex(label, "cond_subgraph_index",
                                         o->cond_subgraph_index()));
      return CheckSubgraphIndex(label, "body_subgraph_index",
                                o->body_subgraph_index());
    }
    if (const auto* o = op.builtin_options_as_IfOptions()) {
      RETURN_IF_ERROR(CheckSubgraphIndex(label, "then_subgraph_index",
                                         o->then_subgraph_index()));
      return CheckSubgraphIndex(label, "else_subgraph_index",
                                o->else_subgraph_index());
    }
    if (const auto* o = op.builtin_options_as_CallOnceOptions()) {
      return CheckSubgraphIndex(label, "init_subgraph_index",
                                o->init_subgraph_index());
    }
    if (const auto* o = op.builtin_options_as_CallOptions()) {
      return CheckSubgraphIndex(label, "subgraph",
                                static_cast<int32_t>(o->subgraph()));
    }
    return OkStatus();
  }

  Status CheckSubgraph(size_t s, const tfl::SubGraph& g) {
    const size_t num_tensors = Size(g.tensors());
    const size_t num_buffers = Size(model_.buffers());
    for (size_t i = 0; i < num_tensors; ++i) {
      RETURN_IF_ERROR(CheckTensor(s, i, g.tensors()->Get(i), num_buffers));
    }
    const std::string sg = "subgraph " + std::to_string(s);
    RETURN_IF_ERROR(CheckIndexList(sg + " input", g.inputs(), num_tensors,
                                   /*allow_optional=*/false));
    RETURN_IF_ERROR(CheckIndexList(sg + " output", g.outputs(), num_tensors,
                                   /*allow_optional=*/false));
    // A summary copies each graph input and output, repeats included.
    for (const auto* list : {g.inputs(), g.outputs()}) {
      for (size_t k = 0; k < Size(list); ++k) {
        RETURN_IF_ERROR(
            Charge(sg, TensorCost(*g.tensors()->Get(list->Get(k)))));
      }
    }

    // Dataflow in execution order: a tensor is available once it is a graph
    // input, constant, variable, or written by an earlier operator. Reading
    // anything else means a cycle or a wrong order.
    std::vector<uint8_t> available(num_tensors, 0);
    for (size_t k = 0; k < Size(g.inputs()); ++k) available[g.inputs()->Get(k)] = 1;
    for (size_t i = 0; i < num_tensors; ++i) {
      const tfl::Tensor* t = g.tensors()->Get(i);
      if (t->is_variable() || (num_buffers > 0 && BufferBytes(t->buffer()) > 0)) {
        available[i] = 1;
      }
    }
    const size_t num_codes = Size(model_.operator_codes());
    for (size_t n = 0; n < Size(g.operators()); ++n) {
      const tfl::Operator* op = g.operators()->Get(n);
      std::string label = sg + " operator " + std::to_string(n);
      if (op == nullptr) return DataLossError(label + " is null");
      if (op->opcode_index() >= num_codes) {
        return DataLossError(label + " uses operator code " +
                             std::to_string(op->opcode_index()) +
                             " but the model has " + std::to_string(num_codes));
      }
      const tfl::OperatorCode& code =
          *model_.operator_codes()->Get(op->opcode_index());
      label += " (" + OperatorLabel(code) + ")";
      RETURN_IF_ERROR(Charge(
          label, kEntryCost + Size(code.custom_code()) + Size(op->inputs()) +
                     Size(op->outputs()) + Size(op->intermediates())));
      RETURN_IF_ERROR(CheckIndexList(label + " input", op->inputs(),
                                     num_tensors, /*allow_optional=*/true));
      RETURN_IF_ERROR(CheckIndexList(label + " output", op->outputs(),
                                     num_tensors, /*allow_optional=*/true));
      RETURN_IF_ERROR(CheckIndexList(label + " intermediate",
                                     op->intermediates(), num_tensors,
                                     /*allow_optional=*/false));
      if (Size(op->mutating_variable_inputs()) != 0 &&
          Size(op->mutating_variable_inputs()) != Size(op->inputs())) {
        return DataLossError(label + ": mutating_variable_inputs has " +
                             std::to_string(Size(op->mutating_variable_inputs())) +
                             " entries for " + std::to_string(Size(op->inputs())) +
                             " inputs");
      }
      if (op->large_custom_options_offset() > 1 &&
          (op->large_custom_options_offset() > file_size_ ||
           op->large_custom_options_size() >
               file_size_ - op->large_custom_options_offset())) {
        return DataLossError(label + ": custom options point outside the file");
      }
      RETURN_IF_ERROR(CheckSubgraphReferences(label, *op));
      for (size_t k = 0; k < Size(op->inputs()); ++k) {
        const int32_t index = op->inputs()->Get(k);
        if (index == -1 || available[index]) continue;
        return DataLossError(label + " reads " +
                             TensorLabel(s, index, g.tensors()->Get(index)) +
                             " before any operator produces it (cycle or "
                             "wrong operator order)");
      }
      for (size_t k = 0; k < Size(op->outputs()); ++k) {
        const int32_t index = op->outputs()->Get(k);
        if (index == -1) continue;
        if (available[index]) {
          return DataLossError(label + " writes " +
                               TensorLabel(s, index, g.tensors()->Get(index)) +
                               ", which is already a graph input, constant, "
                               "variable or another operator's output");
        }
        available[index] = 1;
      }
      for (size_t k = 0; k < Size(op->intermediates()); ++k) {
        available[op->intermediates()->Get(k)] = 1;
      }
    }
    for (size_t k = 0; k < Size(g.outputs()); ++k) {
      const int32_t index = g.outputs()->Get(k);
      if (!available[index]) {
        return DataLossError(sg + " output " + std::to_string(k) + " is " +
                             TensorLabel(s, index, g.tensors()->Get(index)) +
                             ", which nothing produces");
      }
    }
    return OkStatus();
  }

  Status CheckSignatures() {
    for (size_t i = 0; i < Size(model_.signature_defs()); ++i) {
      const tfl::SignatureDef* sig = model_.signature_defs()->Get(i);
      const std::string label = "signature " + std::to_string(i);
      if (sig == nullptr) return DataLossError(label + " is null");
      RETURN_IF_ERROR(Charge(label, kEntryCost + Size(sig->signature_key())));
      if (sig->subgraph_index() >= model_.subgraphs()->size()) {
        return DataLossError(label + " names subgraph " +
                             std::to_string(sig->subgraph_index()) +
                             " but the model has " +
                             std::to_string(model_.subgraphs()->size()));
      }
      const size_t num_tensors =
          Size(model_.subgraphs()->Get(sig->subgraph_index())->tensors());
      for (const auto* maps : {sig->inputs(), sig->outputs()}) {
        for (size_t k = 0; k < Size(maps); ++k) {
          const tfl::TensorMap* m = maps->Get(k);
          if (m == nullptr || m->tensor_index() >= num_tensors) {
            return DataLossError(
                label + " maps " + (m ? Quote(m->name()) : "''") +
                " to tensor " + (m ? std::to_string(m->tensor_index()) : "?") +
                ", outside the subgraph's " + std::to_string(num_tensors) +
                " tensors");
          }
          RETURN_IF_ERROR(Charge(label, kEntryCost + Size(m->name())));
        }
      }
    }
    return OkStatus();
  }

  Status CheckMetadata() {
    const size_t num_buffers = Size(model_.buffers());
    for (size_t i = 0; i < Size(model_.metadata()); ++i) {
      const tfl::Metadata* m = model_.metadata()->Get(i);
      if (m == nullptr || m->buffer() >= num_buffers) {
        return DataLossError("metadata " + std::to_string(i) + " " +
                             (m ? Quote(m->name()) : "''") +
                             " refers to a missing buffer");
      }
      // Readers copy the named buffer (e.g. min_runtime_version).
      RETURN_IF_ERROR(
          Charge("metadata " + std::to_string(i),
                 kEntryCost + Size(m->name()) + BufferBytes(m->buffer())));
    }
    for (size_t i = 0; i < Size(model_.metadata_buffer()); ++i) {
      const int32_t b = model_.metadata_buffer()->Get(i);
      if (b < 0 || static_cast<size_t>(b) >= num_buffers) {
        return DataLossError("metadata_buffer " + std::to_string(i) +
                             " refers to missing buffer " + std::to_string(b));
      }
    }
    return OkStatus();
  }

  const tfl::Model& model_;
  std::span<const uint8_t> file_;
  size_t file_size_;
  std::vector<std::string>* warnings_;
  uint64_t budget_;  // work units left, see Charge
};

}  // namespace

int EffectiveBuiltinCode(const tfl::OperatorCode& code) {
  return std::max<int>(code.deprecated_builtin_code(),
                       static_cast<int>(code.builtin_code()));
}

std::string OperatorCodeName(const tfl::OperatorCode& code) {
  const int builtin = EffectiveBuiltinCode(code);
  if (builtin == tfl::BuiltinOperator_CUSTOM) {
    return "CUSTOM:" + (code.custom_code() ? code.custom_code()->str()
                                           : std::string());
  }
  if (builtin >= tfl::BuiltinOperator_MIN &&
      builtin <= tfl::BuiltinOperator_MAX) {
    const char* name =
        tfl::EnumNameBuiltinOperator(static_cast<tfl::BuiltinOperator>(builtin));
    if (name != nullptr && name[0] != '\0') return name;
  }
  return "BUILTIN_" + std::to_string(builtin);
}

Status CheckModelSemantics(const tfl::Model& model,
                           std::span<const uint8_t> file,
                           std::vector<std::string>* warnings) {
  return SemanticChecker(model, file, warnings).Run();
}

}  // namespace edgerun::format_internal
