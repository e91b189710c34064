// TFLite Support metadata and associated files of a model, as plain structs.
//
// Models made with the TFLite metadata tools describe themselves in a
// FlatBuffer (file identifier "M001") stored in the buffer that the model's
// "TFLITE_METADATA" metadata entry names: model name, version, author,
// licence, how to normalise each input, what each output means, and which
// files (label lists, vocabularies) belong to which tensor. Those files
// travel in a zip archive appended to the model file.
//
// Everything here reads untrusted bytes: the metadata buffer goes through
// the FlatBuffers verifier, the zip archive through a bounds-checked reader
// with a size cap. Malformed input gives a Status (kDataLoss), never a
// crash. A model without metadata, or without an archive, is not an error:
// the result is simply empty.
//
// Thread-safety: free functions over an immutable ModelFile and plain value
// structs; safe to call from any thread.
#ifndef EDGERUN_FORMAT_METADATA_H_
#define EDGERUN_FORMAT_METADATA_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "edgerun/base/status.h"
#include "edgerun/format/model_file.h"

namespace edgerun {

// Name of the Model.metadata entry that holds the metadata FlatBuffer.
inline constexpr std::string_view kTfliteMetadataName = "TFLITE_METADATA";

// Same numbering as the metadata schema's AssociatedFileType.
enum class AssociatedFileType : int8_t {
  kUnknown = 0,
  kDescriptions = 1,
  kTensorAxisLabels = 2,   // one label per entry along an axis (classifier)
  kTensorValueLabels = 3,  // one label per tensor value (detector classes)
  kTensorAxisScoreCalibration = 4,
  kVocabulary = 5,
  kScannIndexFile = 6,
};
// "TENSOR_AXIS_LABELS" etc.; "TYPE_<n>" for values newer than this code.
std::string AssociatedFileTypeName(AssociatedFileType type);

struct AssociatedFileInfo {
  std::string name;  // member name in the appended zip archive
  std::string description;
  AssociatedFileType type = AssociatedFileType::kUnknown;
  std::string locale;   // e.g. "en"; empty when not given
  std::string version;  // empty when not given
};

enum class ContentType {
  kNone,  // no content given
  kFeature,
  kImage,
  kBoundingBox,
  kAudio,
  kUnknown,  // a content kind newer than this code
};
// "none", "feature", "image", "bounding_box", "audio", "unknown".
std::string_view ContentTypeName(ContentType type);

struct NormalizationInfo {
  // Per channel, or one value for all: input = (x - mean) / std.
  std::vector<float> mean;
  std::vector<float> std;
};

struct StatsInfo {
  // Per-channel value range of the tensor, or one value for all channels.
  std::vector<float> min;
  std::vector<float> max;
};

struct ScoreCalibrationInfo {
  std::string transformation;  // "IDENTITY", "LOG", "INVERSE_LOGISTIC"
  float default_score = 0;
};

struct TensorMetadataInfo {
  std::string name;
  std::string description;
  std::vector<std::string> dimension_names;

  ContentType content = ContentType::kNone;
  // kImage: "RGB", "GRAYSCALE" or "UNKNOWN", and the size to use when the
  // tensor's own size is dynamic (0 when not given).
  std::string color_space;
  uint32_t default_width = 0;
  uint32_t default_height = 0;
  // kBoundingBox: "BOUNDARIES", "UPPER_LEFT", "CENTER" or "UNKNOWN";
  // "RATIO" or "PIXEL"; element order (empty = the type's default).
  std::string box_type;
  std::string coordinate_type;
  std::vector<uint32_t> box_index;
  // kAudio.
  uint32_t sample_rate = 0;
  uint32_t channels = 0;
  // Dimensions the content spans (inclusive), when given.
  std::optional<std::pair<int32_t, int32_t>> content_range;

  // Process units, in order, by kind: "normalization", "score_calibration",
  // "score_thresholding", "bert_tokenizer", "sentence_piece_tokenizer",
  // "regex_tokenizer" (or "unknown").
  std::vector<std::string> process_units;
  std::optional<NormalizationInfo> normalization;  // the first one
  std::optional<ScoreCalibrationInfo> score_calibration;
  std::optional<float> score_threshold;
  // Expected value range of the tensor (Stats), when given.
  std::optional<StatsInfo> stats;
  std::vector<AssociatedFileInfo> associated_files;
};

struct TensorGroupInfo {
  std::string name;
  std::vector<std::string> tensor_names;
};

struct SubgraphMetadataInfo {
  std::string name;
  std::string description;
  // Parallel to the subgraph's inputs and outputs (as the metadata says;
  // see ModelMetadataInfo::warnings when the counts differ).
  std::vector<TensorMetadataInfo> inputs;
  std::vector<TensorMetadataInfo> outputs;
  std::vector<AssociatedFileInfo> associated_files;
  std::vector<std::string> input_process_units;  // kinds, as above
  std::vector<std::string> output_process_units;
  std::vector<TensorGroupInfo> input_tensor_groups;
  std::vector<TensorGroupInfo> output_tensor_groups;
  // Custom metadata entries: name and size of their data.
  std::vector<std::pair<std::string, size_t>> custom_metadata;
};

struct ModelMetadataInfo {
  bool present = false;  // false: the model has no TFLITE_METADATA entry
  uint32_t buffer = 0;   // buffer index of the metadata FlatBuffer
  size_t bytes = 0;      // its size
  std::string name;
  std::string description;
  std::string version;
  std::string author;
  std::string license;
  std::string min_parser_version;
  std::vector<SubgraphMetadataInfo> subgraphs;  // [0] = main subgraph
  std::vector<AssociatedFileInfo> associated_files;
  // Accepted oddities, e.g. fewer tensor entries than the subgraph has.
  std::vector<std::string> warnings;
};

struct MetadataOptions {
  // FlatBuffers verifier limits for the metadata buffer.
  unsigned max_depth = 64;
  unsigned max_tables = 100'000;
  // Largest associated file (uncompressed) that is read.
  uint64_t max_file_bytes = uint64_t{64} << 20;
};

// Parses the TFLITE_METADATA entry of `model`. No entry: OK with
// present == false. An entry whose buffer is empty, lacks the "M001"
// identifier or fails verification: kDataLoss naming the problem.
StatusOr<ModelMetadataInfo> ReadModelMetadata(
    const ModelFile& model, const MetadataOptions& options = {});

// Parses a metadata FlatBuffer on its own (what ReadModelMetadata does with
// the buffer's bytes); for tools and fuzzers. Does not fill buffer/bytes.
StatusOr<ModelMetadataInfo> ParseModelMetadata(
    std::span<const uint8_t> bytes, const MetadataOptions& options = {});

// A member of the zip archive appended to a model.
struct ArchiveFileInfo {
  std::string name;
  uint64_t size = 0;             // uncompressed
  uint64_t compressed_size = 0;  // as stored
  std::string method;            // "stored", "deflate", "method N"
  uint32_t crc32 = 0;
};

// Lists the members of the zip archive at the end of the model file, in
// directory order; empty when there is none. kDataLoss when it is malformed,
// kUnimplemented for archive features this reader lacks (ZIP64).
StatusOr<std::vector<ArchiveFileInfo>> ListAssociatedFiles(
    const ModelFile& model);

// Reads member `name` of the appended archive (size-capped, CRC checked).
// kNotFound when there is no archive or no such member.
StatusOr<std::vector<uint8_t>> ReadAssociatedFile(
    const ModelFile& model, std::string_view name,
    const MetadataOptions& options = {});

// Splits a label file into lines: "\n" or "\r\n" separated, a final newline
// ends the last label; empty lines in the middle are kept so that indices
// stay aligned with the tensor.
std::vector<std::string> SplitLabels(std::span<const uint8_t> bytes);

struct LabelsInfo {
  std::string file;  // associated file name; empty when there are none
  std::vector<std::string> labels;
};

// The labels of output `output_index` of subgraph 0: its first
// TENSOR_AXIS_LABELS associated file (the format's default when there are
// several, e.g. one per locale), read from the archive. No metadata or no
// such file: OK, empty. The file named but missing or corrupt in the
// archive: an error (kNotFound / kDataLoss).
StatusOr<LabelsInfo> ReadOutputLabels(const ModelFile& model,
                                      size_t output_index = 0,
                                      const MetadataOptions& options = {});

// The label list of output 0, or empty (see ReadOutputLabels).
StatusOr<std::vector<std::string>> ReadLabels(
    const ModelFile& model, const MetadataOptions& options = {});

}  // namespace edgerun

#endif  // EDGERUN_FORMAT_METADATA_H_
