// IEEE 754 binary16 (float16) helpers shared by kernels. Framework-free.
#ifndef EDGERUN_KERNELS_REFERENCE_FLOAT16_H_
#define EDGERUN_KERNELS_REFERENCE_FLOAT16_H_

#include <cstdint>
#include <cstring>

namespace edgerun::kernels::reference {

// binary16 bits -> float (exact: every half value is a float).
inline float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exponent = (h >> 10) & 0x1f;
  uint32_t mantissa = h & 0x3ff;
  uint32_t bits;
  if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else {
      int e = -1;
      do {
        ++e;
        mantissa <<= 1;
      } while ((mantissa & 0x400) == 0);
      bits = sign | (static_cast<uint32_t>(127 - 15 - e) << 23) |
             ((mantissa & 0x3ff) << 13);
    }
  } else if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else {
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

}  // namespace edgerun::kernels::reference

#endif  // EDGERUN_KERNELS_REFERENCE_FLOAT16_H_
