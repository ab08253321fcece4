// Each native source file registers its own JS-visible functions with IMCLS_EXPORT, so adding a
// kernel never means editing a central list (and parallel work never collides on one file).
#pragma once
#include <napi.h>

#include <functional>
#include <string>
#include <vector>

namespace imcls {

using ExportFn = Napi::Value (*)(const Napi::CallbackInfo&);

struct ExportEntry {
  const char* name;
  ExportFn fn;
};

std::vector<ExportEntry>& export_registry();

struct ExportRegistrar {
  ExportRegistrar(const char* name, ExportFn fn) { export_registry().push_back({name, fn}); }
};

}  // namespace imcls

#define IMCLS_CONCAT_INNER(a, b) a##b
#define IMCLS_CONCAT(a, b) IMCLS_CONCAT_INNER(a, b)
#define IMCLS_EXPORT(js_name, fn) \
  static ::imcls::ExportRegistrar IMCLS_CONCAT(imcls_registrar_, __LINE__)(js_name, fn)
