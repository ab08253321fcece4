// Argument helpers for the Node-API entry points: typed-array views without copies, and
// clear TypeErrors (naming the argument) instead of crashes when JS passes the wrong thing.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>

namespace imcls {

inline float* f32(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be a Float32Array");
  }
  return info[i].As<Napi::Float32Array>().Data();
}

inline size_t f32len(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Float32Array>().ElementLength();
}

// A Float32Array or null/undefined (optional bias, optional gradient output).
inline float* f32_or_null(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  return f32(info, i);
}

inline int32_t* i32(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be an Int32Array");
  }
  return info[i].As<Napi::Int32Array>().Data();
}

inline int64_t int_arg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be a number");
  }
  return info[i].As<Napi::Number>().Int64Value();
}

inline double num_arg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be a number");
  }
  return info[i].As<Napi::Number>().DoubleValue();
}

inline bool bool_arg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length()) throw Napi::TypeError::New(info.Env(), "missing boolean argument " + std::to_string(i));
  return info[i].ToBoolean().Value();
}

}  // namespace imcls
