// Packed conv weights in transparent huge pages. A batch-1 forward streams every layer's
// weights from memory (ResNet50: ~100 MB, three times the L3), and in 4 KB pages every 4 KB
// of that stream is a TLB miss and a restart of the hardware prefetcher, which stops at page
// boundaries; 2 MB pages take both away (ResNet50 batch 1: 4% in alternating blocks).
//
// The memory stays V8's own (freed by the GC the moment it is collected; an external buffer's
// free waits for the event loop, and 400 dropped 16 MB ones in a synchronous loop peaked at
// 6 GB): the caller allocates a fresh ArrayBuffer a huge page larger than it needs and views it
// from the offset this returns. Linux kernels set THP to "madvise" by default, so the 2 MB
// stretches are advised for it; malloc may have handed over heap memory it already touched
// (calloc's zeroing), whose 4 KB pages would stay, so they are dropped first: a fresh buffer
// is all zeros, which is what a dropped anonymous page reads back as.
#include <napi.h>

#include <cstdint>

#include "registry.h"

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace imcls {
namespace {

constexpr uintptr_t kHugePage = uintptr_t{2} << 20;
constexpr uintptr_t kPage = 4096;

// hugePageOffset(freshArrayBuffer, bytes) -> the byte offset of its first 2 MB-aligned byte,
// where a view of `bytes` starts (the buffer must hold offset + bytes: allocate bytes + 2 MB).
// The buffer must not have been written yet: its whole pages are dropped (they read back as
// zero), and the view's whole 2 MB stretches advised for huge pages.
Napi::Value HugePageOffset(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsArrayBuffer() || !info[1].IsNumber())
    throw Napi::TypeError::New(env, "hugePageOffset(arrayBuffer, bytes)");
  Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
  const uintptr_t base = reinterpret_cast<uintptr_t>(ab.Data()), len = ab.ByteLength();
  const double want = info[1].As<Napi::Number>().DoubleValue();
  const uintptr_t start = (base + kHugePage - 1) / kHugePage * kHugePage;
  if (!(want >= 0) || start + static_cast<uintptr_t>(want) > base + len)
    throw Napi::RangeError::New(env, "hugePageOffset: the buffer must be at least bytes + 2 MB long");
#if defined(__linux__)
  const uintptr_t bytes = static_cast<uintptr_t>(want);
  const uintptr_t first = (base + kPage - 1) / kPage * kPage, last = (base + len) / kPage * kPage;
  const uintptr_t huge = bytes / kHugePage * kHugePage;
  // advice only: where the kernel refuses, the buffer works as before in 4 KB pages
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
  if (huge > 0) madvise(reinterpret_cast<void*>(start), huge, MADV_HUGEPAGE);
#endif
  return Napi::Number::New(env, static_cast<double>(start - base));
}
IMCLS_EXPORT("hugePageOffset", HugePageOffset);

}  // namespace
}  // namespace imcls
