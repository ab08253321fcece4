#include "cpu.h"

#include <cpuid.h>

#include <cstdlib>
#include <cstring>

#include "args.h"
#include "registry.h"
#include "threadpool.h"

namespace imcls {

static unsigned long long xgetbv0() {
  unsigned int eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
}

Isa detected_isa() {
#if defined(__x86_64__) || defined(__i386__)
  unsigned int eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return Isa::baseline;
  const bool osxsave = ecx & (1u << 27);
  const bool fma = ecx & (1u << 12);
  const bool avx = ecx & (1u << 28);
  if (!osxsave || !avx) return Isa::baseline;
  const unsigned long long xcr0 = xgetbv0();
  const bool ymm_state = (xcr0 & 0x6) == 0x6;          // SSE + AVX state saved by the OS
  const bool zmm_state = (xcr0 & 0xe6) == 0xe6;        // + opmask, ZMM_Hi256, Hi16_ZMM
  if (!ymm_state) return Isa::baseline;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return Isa::baseline;
  const bool avx2 = ebx & (1u << 5);
  const bool avx512f = ebx & (1u << 16);
  const bool avx512dq = ebx & (1u << 17);
  const bool avx512bw = ebx & (1u << 30);
  const bool avx512vl = ebx & (1u << 31);
  if (zmm_state && avx512f && avx512dq && avx512bw && avx512vl && fma) return Isa::avx512;
  if (avx2 && fma) return Isa::avx2;
#endif
  return Isa::baseline;
}

Isa selected_isa() {
  static const Isa chosen = [] {
    Isa best = detected_isa();
    const char* want = std::getenv("IMCLS_ISA");
    if (want == nullptr || *want == 0) return best;
    Isa w = best;
    if (std::strcmp(want, "baseline") == 0) w = Isa::baseline;
    else if (std::strcmp(want, "avx2") == 0) w = Isa::avx2;
    else if (std::strcmp(want, "avx512") == 0) w = Isa::avx512;
    return static_cast<int>(w) < static_cast<int>(best) ? w : best;
  }();
  return chosen;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::avx512: return "avx512";
    case Isa::avx2: return "avx2";
    default: return "baseline";
  }
}

static Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("isa", isa_name(selected_isa()));
  o.Set("detectedIsa", isa_name(detected_isa()));
  o.Set("threads", static_cast<double>(ThreadPool::instance().size()));
  return o;
}
IMCLS_EXPORT("info", Info);

}  // namespace imcls
