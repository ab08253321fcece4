// A float buffer aligned to 64 bytes (the micro-kernels' aligned loads), grown on demand and never
// shrunk. Held thread_local by the GEMM and convolution drivers: pool threads are persistent, so
// after the first large call nothing allocates.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <new>

namespace imcls {

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer() { std::free(p_); }

  float* get(int64_t floats) {
    const size_t bytes = (static_cast<size_t>(floats) * sizeof(float) + 63) / 64 * 64;
    if (bytes > cap_) {
      std::free(p_);
      p_ = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (p_ == nullptr) throw std::bad_alloc();
      cap_ = bytes;
    }
    return p_;
  }

 private:
  float* p_ = nullptr;
  size_t cap_ = 0;
};

}  // namespace imcls
