// Images for model inputs: decode BMP/PNG/JPEG (stb_image) and resize with
// TFLite RESIZE_BILINEAR semantics (half-pixel centers, computed in float32,
// truncated to uint8) — the preprocessing the Coral tests and the golden
// cases use, so `edgerun run --input bird.bmp` feeds the same bytes.
// Thread-safety: pure functions.
#ifndef EDGERUN_IO_IMAGE_H_
#define EDGERUN_IO_IMAGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "edgerun/base/status.h"

namespace edgerun {

struct Image {
  int width = 0;
  int height = 0;
  int channels = 0;             // 1 (gray), 3 (RGB) or 4 (RGBA)
  std::vector<uint8_t> pixels;  // row-major HWC
};

// Decodes a .bmp, .png or .jpg/.jpeg file. Errors name the file and reason.
StatusOr<Image> DecodeImageFile(const std::string& path);

// Converts channels (RGB(A) -> gray as floor((r+g+b)/3), RGBA -> RGB, gray
// -> RGB by repetition) and resizes to out_h x out_w.
StatusOr<Image> ResizeImage(const Image& image, int out_h, int out_w, int out_c);

// True for file names ending in .bmp/.png/.jpg/.jpeg (any case).
bool LooksLikeImageFile(const std::string& path);

}  // namespace edgerun

#endif  // EDGERUN_IO_IMAGE_H_
