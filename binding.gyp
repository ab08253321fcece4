{
  "targets": [
    {
      "target_name": "imcls_native",
      "sources": [
        "<!@(node -p \"require('fs').readdirSync('native',{recursive:true}).filter(f=>f.endsWith('.cc')).map(f=>'native/'+f.split(require('path').sep).join('/')).sort().join(' ')\")"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions", "-O0", "-O2"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-O0", "-O2"],
      "cflags": ["-O3", "-fno-math-errno", "-fno-trapping-math"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-fno-math-errno", "-fno-trapping-math", "-pthread"],
      "ldflags": ["-pthread"],
      "conditions": [
        # The system libjpeg(-turbo), when its headers are installed, gives the reader a direct
        # JPEG path (native/image/jpeg_decode.cc); without it the reader decodes with sharp.
        ["<!(node -p \"require('fs').existsSync('/usr/include/jpeglib.h') ? 1 : 0\")==1", {
          "defines": ["IMCLS_HAVE_LIBJPEG"],
          "libraries": ["-ljpeg"]
        }]
      ],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CFLAGS": ["-O3"]
      }
    }
  ]
}
