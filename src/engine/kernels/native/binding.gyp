{
  "targets": [
    {
      "target_name": "dnnl_conv",
      "sources": ["dnnl_conv.cc"],
      "cflags_cc": ["-O3", "-std=c++17", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "libraries": ["-ldnnl"]
    }
  ]
}
