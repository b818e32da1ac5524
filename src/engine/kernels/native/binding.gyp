{
  "targets": [
    {
      "target_name": "simsiam_kernels",
      "sources": ["addon.cc", "conv.cc", "matmul.cc", "batchnorm.cc", "sgd.cc", "layernorm.cc", "gelu.cc", "softmax.cc", "copy.cc"],
      "cflags_cc": ["-O3", "-std=c++17", "-fexceptions", "-fopenmp", "-fno-trapping-math"],
      "cflags_cc!": ["-fno-exceptions"],
      "libraries": ["-ldnnl", "-fopenmp"]
    }
  ]
}
