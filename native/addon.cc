// Module entry. Context-aware (NODE_API_MODULE registers per-environment), so the addon also
// loads in worker_threads; all kernel state is process-wide and immutable after start-up
// except the thread pool, which serialises its own use.
#include <napi.h>

#include "registry.h"

namespace imcls {

std::vector<ExportEntry>& export_registry() {
  static std::vector<ExportEntry> entries;
  return entries;
}

}  // namespace imcls

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  for (const auto& e : imcls::export_registry()) {
    exports.Set(e.name, Napi::Function::New(env, e.fn, e.name));
  }
  return exports;
}

NODE_API_MODULE(imcls_native, Init)
