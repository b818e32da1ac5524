{
  "targets": [
    {
      "target_name": "simsiam_kernels",
      "sources": ["addon.cc", "conv.cc", "matmul.cc", "batchnorm.cc", "sgd.cc"],
      "cflags_cc": ["-O3", "-std=c++17", "-fexceptions", "-fopenmp"],
      "cflags_cc!": ["-fno-exceptions"],
      "libraries": ["-ldnnl", "-fopenmp"]
    }
  ]
}
