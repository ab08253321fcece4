// JPEG decoding of a training crop straight from libjpeg-turbo (the system library, when the
// build found jpeglib.h): decode only the iMCU columns and rows the crop needs, skip the rows
// above it without the IDCT and stop after its last row. sharp reaches the same library through
// libvips, but with about 0.7 ms of pipeline set-up per image and a full-width decode, which is
// most of the reader's time on ImageNet-sized JPEGs.
//
// The pixels must be those sharp gives (the tests compare them); so this path takes only the
// plain case — 3-component YCbCr, no ICC profile (sharp would colour-convert), no decoder warning
// (sharp decides what a damaged file means) — and returns null for everything else, and the
// caller decodes with sharp as before. Edges: fancy upsampling reads a neighbour sample on each
// side, so the decoded window is one iMCU wider than the crop on every side that has one, and the
// rows skipped above end one iMCU row early; the crop is then copied out of the window.
#include <algorithm>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "args.h"
#include "registry.h"

#ifdef IMCLS_HAVE_LIBJPEG
#include <jpeglib.h>

namespace imcls {

namespace {

struct ErrorManager {
  jpeg_error_mgr pub;
  jmp_buf jump;
  bool warned;
};

void on_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  longjmp(err->jump, 1);
}

void on_message(j_common_ptr cinfo, int level) {
  // level < 0: a warning (corrupt data, premature end); trace messages (>= 0) are ignored.
  if (level < 0) reinterpret_cast<ErrorManager*>(cinfo->err)->warned = true;
}

void on_output(j_common_ptr) {}

bool has_icc_profile(j_decompress_ptr cinfo) {
  for (jpeg_saved_marker_ptr m = cinfo->marker_list; m != nullptr; m = m->next) {
    if (m->marker == JPEG_APP0 + 2 && m->data_length >= 12 && std::memcmp(m->data, "ICC_PROFILE", 12) == 0) return true;
  }
  return false;
}

// decodeJpegRegion(buf u8, x, y, w, h, maxPixels) -> Uint8Array (h*w*3 RGB, HWC) | null
// w = 0 means the whole image (then x, y must be 0); null: not the plain case, use sharp.
Napi::Value DecodeJpegRegion(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(env, "argument 0 must be a Uint8Array");
  }
  auto bytes = info[0].As<Napi::Uint8Array>();
  int64_t rx = int_arg(info, 1), ry = int_arg(info, 2), rw = int_arg(info, 3), rh = int_arg(info, 4);
  const double max_pixels = num_arg(info, 5);
  if (bytes.ElementLength() < 4) return env.Null();

  jpeg_decompress_struct cinfo;
  ErrorManager err;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = on_error;
  err.pub.emit_message = on_message;
  err.pub.output_message = on_output;
  err.warned = false;
  // Everything that must survive a longjmp lives outside this frame's automatic storage or is
  // declared volatile; the output array is created only after the last libjpeg call that can fail
  // before rows are read, and rows are read into a std::vector owned here.
  std::vector<uint8_t> window;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return env.Null();
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, bytes.Data(), static_cast<unsigned long>(bytes.ElementLength()));
  jpeg_save_markers(&cinfo, JPEG_APP0 + 2, 0xffff);
  jpeg_read_header(&cinfo, TRUE);
  const int64_t W = cinfo.image_width, H = cinfo.image_height;
  if (err.warned || cinfo.num_components != 3 || cinfo.jpeg_color_space != JCS_YCbCr || has_icc_profile(&cinfo) ||
      static_cast<double>(W) * static_cast<double>(H) > max_pixels) {
    jpeg_destroy_decompress(&cinfo);
    return env.Null();
  }
  if (rw == 0) {
    rx = 0;
    ry = 0;
    rw = W;
    rh = H;
  }
  if (rx < 0 || ry < 0 || rw <= 0 || rh <= 0 || rx + rw > W || ry + rh > H) {
    jpeg_destroy_decompress(&cinfo);
    throw Napi::RangeError::New(env, "decodeJpegRegion: region outside the image");
  }
  cinfo.out_color_space = JCS_RGB;
  jpeg_start_decompress(&cinfo);
  const int64_t mcu_w = static_cast<int64_t>(cinfo.max_h_samp_factor) * DCTSIZE;
  const int64_t mcu_h = static_cast<int64_t>(cinfo.max_v_samp_factor) * DCTSIZE;
  // Decoded window: one iMCU of context beyond the crop on each side (clipped to the image).
  JDIMENSION wx = static_cast<JDIMENSION>(std::max<int64_t>(0, rx - mcu_w));
  const int64_t wx_end = std::min<int64_t>(W, rx + rw + mcu_w);
  JDIMENSION ww = static_cast<JDIMENSION>(wx_end - wx);
  if (wx != 0 || ww != static_cast<JDIMENSION>(W)) jpeg_crop_scanline(&cinfo, &wx, &ww);  // widens to iMCU bounds
  const int64_t skip = std::max<int64_t>(0, (ry / mcu_h - 1) * mcu_h);
  if (skip > 0 && jpeg_skip_scanlines(&cinfo, static_cast<JDIMENSION>(skip)) != static_cast<JDIMENSION>(skip)) {
    jpeg_destroy_decompress(&cinfo);
    return env.Null();
  }
  const int64_t row_bytes = static_cast<int64_t>(ww) * 3;
  const int64_t rows = ry + rh - skip;
  window.resize(static_cast<size_t>(row_bytes * rows));
  while (static_cast<int64_t>(cinfo.output_scanline) < ry + rh) {
    JSAMPROW row = window.data() + (static_cast<int64_t>(cinfo.output_scanline) - skip) * row_bytes;
    if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) break;
  }
  const bool complete = static_cast<int64_t>(cinfo.output_scanline) >= ry + rh && !err.warned;
  jpeg_destroy_decompress(&cinfo);  // stops here: rows below the crop are never decoded
  if (!complete) return env.Null();
  auto out = Napi::Uint8Array::New(env, static_cast<size_t>(rw * rh * 3));
  uint8_t* dst = out.Data();
  const int64_t col0 = (rx - static_cast<int64_t>(wx)) * 3;
  for (int64_t r = 0; r < rh; r++) {
    std::memcpy(dst + r * rw * 3, window.data() + (ry - skip + r) * row_bytes + col0, static_cast<size_t>(rw * 3));
  }
  return out;
}

}  // namespace

IMCLS_EXPORT("decodeJpegRegion", DecodeJpegRegion);

}  // namespace imcls

#endif  // IMCLS_HAVE_LIBJPEG
