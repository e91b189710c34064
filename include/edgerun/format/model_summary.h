// ModelSummary: a plain description of a loaded model for people and tools
// (`edgerun inspect`), independent of the FlatBuffers types.
//
// Thread-safety: values.
#ifndef EDGERUN_FORMAT_MODEL_SUMMARY_H_
#define EDGERUN_FORMAT_MODEL_SUMMARY_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "edgerun/base/status.h"
#include "edgerun/format/metadata.h"
#include "edgerun/format/model_file.h"
#include "edgerun/format/types.h"

namespace edgerun {

struct QuantizationSummary {
  std::vector<float> scale;         // 1 entry per tensor, or per channel
  std::vector<int64_t> zero_point;  // same length as scale
  int32_t quantized_dimension = 0;  // meaningful when scale.size() > 1
  bool per_channel() const { return scale.size() > 1; }
};

struct TensorSummary {
  int32_t index = 0;
  std::string name;
  std::vector<int32_t> shape;
  // shape with -1 for dynamic dimensions (from shape_signature; equals
  // shape when the file has no signature).
  std::vector<int32_t> shape_signature;
  DataType type = DataType::kFloat32;
  std::optional<QuantizationSummary> quantization;  // none when absent/empty
  bool is_variable = false;
  bool is_constant = false;
};

struct SubgraphSummary {
  int32_t index = 0;
  std::string name;
  size_t num_tensors = 0;
  size_t num_operators = 0;
  std::vector<TensorSummary> inputs;
  std::vector<TensorSummary> outputs;
};

struct SignatureTensor {
  std::string name;  // the signature's alias
  int32_t tensor_index = 0;
};

struct SignatureSummary {
  std::string key;
  int32_t subgraph_index = 0;
  std::vector<SignatureTensor> inputs;
  std::vector<SignatureTensor> outputs;
};

// One row of the operator histogram (all subgraphs together).
struct OperatorUse {
  std::string name;  // "CONV_2D" or the custom code
  bool custom = false;
  int32_t builtin_code = 0;       // 32 (CUSTOM) for custom ops
  size_t count = 0;               // nodes using it
  std::vector<int32_t> versions;  // distinct versions, ascending
};

struct MetadataEntry {
  std::string name;  // e.g. "min_runtime_version", "TFLITE_METADATA"
  uint32_t buffer = 0;
  size_t bytes = 0;
};

// The label list of output 0 (see ReadOutputLabels), abbreviated.
struct LabelsSummary {
  std::string file;  // associated file name
  size_t count = 0;
  std::vector<std::string> head;  // the first kLabelsHead labels
  static constexpr size_t kLabelsHead = 10;
};

struct ModelSummary {
  std::string source_kind;  // "mmap", "read", ...
  size_t file_bytes = 0;
  uint32_t schema_version = 0;
  std::string description;
  std::vector<SubgraphSummary> subgraphs;
  std::vector<SignatureSummary> signatures;
  std::vector<OperatorUse> operators;  // sorted by name
  size_t tensor_count = 0;             // all subgraphs
  LoadStats load_stats;
  std::vector<MetadataEntry> metadata;
  std::string min_runtime_version;  // from the metadata entry, if any
  // TFLite Support metadata (present == false when the model has none).
  ModelMetadataInfo tflite_metadata;
  // Members of the zip archive appended to the file (associated files).
  std::vector<ArchiveFileInfo> associated_files;
  std::optional<LabelsSummary> labels;  // output 0's axis labels, if any
  // Load warnings, then metadata problems ("TFLITE_METADATA: ..."): a
  // corrupt metadata buffer or archive does not stop a summary.
  std::vector<std::string> warnings;
};

// Never fails: the model was verified when loaded, and problems with its
// metadata or associated files become warnings.
ModelSummary SummarizeModel(const ModelFile& model);

// Stable, machine-readable JSON (keys documented in docs/inspect.md).
std::string ModelSummaryToJson(const ModelSummary& summary, int indent = 2);

}  // namespace edgerun

#endif  // EDGERUN_FORMAT_MODEL_SUMMARY_H_
