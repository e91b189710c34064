#include "edgerun/io/image.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>

#include <stb_image.h>

namespace edgerun {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Channel conversion before resizing.
Image ConvertChannels(const Image& in, int out_c) {
  if (in.channels == out_c) return in;
  Image out{in.width, in.height, out_c, {}};
  const size_t n = static_cast<size_t>(in.width) * in.height;
  out.pixels.resize(n * out_c);
  for (size_t p = 0; p < n; ++p) {
    const uint8_t* src = &in.pixels[p * in.channels];
    uint8_t* dst = &out.pixels[p * out_c];
    if (out_c == 1) {
      dst[0] = in.channels >= 3
                   ? static_cast<uint8_t>((src[0] + src[1] + src[2]) / 3)
                   : src[0];
    } else {
      for (int k = 0; k < out_c; ++k) {
        dst[k] = in.channels == 1 ? src[0] : src[std::min(k, in.channels - 1)];
      }
    }
  }
  return out;
}

}  // namespace

bool LooksLikeImageFile(const std::string& path) {
  const std::string p = Lower(path);
  return EndsWith(p, ".bmp") || EndsWith(p, ".png") || EndsWith(p, ".jpg") ||
         EndsWith(p, ".jpeg");
}

StatusOr<Image> DecodeImageFile(const std::string& path) {
  int w = 0, h = 0, c = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> data(
      stbi_load(path.c_str(), &w, &h, &c, 0), &stbi_image_free);
  if (data == nullptr) {
    return InvalidArgumentError("cannot decode image '" + path +
                                "': " + stbi_failure_reason());
  }
  if (c == 2) {  // gray + alpha: keep gray
    Image img{w, h, 1, {}};
    img.pixels.resize(static_cast<size_t>(w) * h);
    for (size_t p = 0; p < img.pixels.size(); ++p) img.pixels[p] = data.get()[2 * p];
    return img;
  }
  Image img{w, h, c, {}};
  img.pixels.assign(data.get(), data.get() + static_cast<size_t>(w) * h * c);
  return img;
}

StatusOr<Image> ResizeImage(const Image& image, int out_h, int out_w,
                            int out_c) {
  if (out_h <= 0 || out_w <= 0 || (out_c != 1 && out_c != 3 && out_c != 4)) {
    return InvalidArgumentError("cannot resize an image to " +
                                std::to_string(out_h) + "x" +
                                std::to_string(out_w) + "x" +
                                std::to_string(out_c));
  }
  const Image src = ConvertChannels(image, out_c);
  if (src.height == out_h && src.width == out_w) return src;
  Image out{out_w, out_h, out_c, {}};
  out.pixels.resize(static_cast<size_t>(out_h) * out_w * out_c);
  const float h_scale = static_cast<float>(src.height) / static_cast<float>(out_h);
  const float w_scale = static_cast<float>(src.width) / static_cast<float>(out_w);
  // Source coordinate with half-pixel centers, and its two neighbours.
  auto source = [](int v, float scale, int size, int* lo, int* hi) {
    const float s = (static_cast<float>(v) + 0.5f) * scale - 0.5f;
    *lo = std::max(static_cast<int>(std::floor(s)), 0);
    *hi = std::min(static_cast<int>(std::ceil(s)), size - 1);
    return s;
  };
  for (int y = 0; y < out_h; ++y) {
    int y0, y1;
    const float iy = source(y, h_scale, src.height, &y0, &y1);
    const float dy = iy - static_cast<float>(y0);
    for (int x = 0; x < out_w; ++x) {
      int x0, x1;
      const float ix = source(x, w_scale, src.width, &x0, &x1);
      const float dx = ix - static_cast<float>(x0);
      for (int k = 0; k < out_c; ++k) {
        auto at = [&](int yy, int xx) {
          return static_cast<float>(
              src.pixels[(static_cast<size_t>(yy) * src.width + xx) * out_c + k]);
        };
        // Each product rounded to float, the sum in double then rounded
        // once: the order the reference preprocessing uses.
        const float t00 = at(y0, x0) * (1 - dy) * (1 - dx);
        const float t10 = at(y1, x0) * dy * (1 - dx);
        const float t01 = at(y0, x1) * (1 - dy) * dx;
        const float t11 = at(y1, x1) * dy * dx;
        const float v = static_cast<float>(double{t00} + double{t10} +
                                           double{t01} + double{t11});
        out.pixels[(static_cast<size_t>(y) * out_w + x) * out_c + k] =
            static_cast<uint8_t>(std::clamp(std::trunc(v), 0.f, 255.f));
      }
    }
  }
  return out;
}

}  // namespace edgerun
