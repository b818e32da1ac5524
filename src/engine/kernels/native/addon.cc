// N-API glue: every export takes Float32Array views (of tfjs-wasm's heap or anything else) plus
// numbers, and writes into the output views it is given; null stands for an absent optional buffer.
// Every view's length is checked against the sizes given, so a wrong call is a JavaScript error
// rather than a read or write past the view.
//   conv(kind, a, b, out, n, h, w, ci, kh, kw, co, oh, ow, strideH, strideW, padTop, padLeft, padBottom, padRight)
//   matmul(a, b, out, batch, aBatch, bBatch, m, n, k, transA, transB)
//   batchNormForward(x, gamma, beta, y, mean, variance, rows, c, eps)
//   batchNormBackward(dy, x, mean, variance, gamma, dx, dgamma, dbeta, rows, c, eps)
//   sgdUpdate(param, grad, buf, paramOut, bufOut, size, lr, momentum, weightDecay)
//   layerNormForward(x, gamma, beta, y, mean, rstd, rows, c, eps)
//   layerNormBackward(dy, x, mean, rstd, gamma, dx, dgamma, dbeta, rows, c)
//   geluForward(x, y, size)
//   geluBackward(dy, x, dx, size)
//   softmaxForward(x, y, rows, c)
//   softmaxBackward(dy, y, dx, rows, c)
//   stridedCopy(x, out, shape, strides, offset)   shape, strides: arrays of integers
//   threads() -> OpenMP threads the kernels use (OMP_NUM_THREADS, else one per core)
//   scratchBytes() -> bytes the calling thread keeps for convolutions between calls
#include <node_api.h>
#include <omp.h>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>
#include "kernels.h"

namespace {

using namespace simsiam;

class Args {
 public:
  Args(napi_env env, napi_callback_info info) : env_(env), argv_(24) {
    size_t argc = argv_.size();
    napi_get_cb_info(env, info, &argc, argv_.data(), nullptr, nullptr);
    argv_.resize(argc);
  }
  /** A Float32Array of exactly `size` floats; null or undefined only where `optional`. */
  float* floats(size_t i, int64_t size, bool optional = false) const {
    napi_valuetype kind;
    napi_typeof(env_, at(i), &kind);
    if (kind == napi_null || kind == napi_undefined) {
      if (!optional) throw std::invalid_argument("argument " + std::to_string(i) + ": expected a Float32Array, got null");
      return nullptr;
    }
    bool isTyped = false;
    napi_is_typedarray(env_, at(i), &isTyped);
    if (!isTyped) throw std::invalid_argument("argument " + std::to_string(i) + ": expected a Float32Array");
    napi_typedarray_type type;
    size_t length, offset;
    void* data;
    napi_value buffer;
    napi_get_typedarray_info(env_, at(i), &type, &length, &data, &buffer, &offset);
    if (type != napi_float32_array) throw std::invalid_argument("argument " + std::to_string(i) + ": expected a Float32Array");
    if (static_cast<int64_t>(length) != size) {
      throw std::invalid_argument("argument " + std::to_string(i) + ": expected " + std::to_string(size) + " floats, got " +
                                  std::to_string(length));
    }
    return static_cast<float*>(data);
  }
  /** An integer >= `min` (sizes are >= 1, paddings >= 0), small enough that products of a few fit. */
  int64_t integer(size_t i, int64_t min = 0) const {
    int64_t v = 0;
    if (napi_get_value_int64(env_, at(i), &v) != napi_ok) throw std::invalid_argument("argument " + std::to_string(i) + ": expected a number");
    if (v < min || v > (int64_t{1} << 31)) throw std::invalid_argument("argument " + std::to_string(i) + ": " + std::to_string(v) + " out of range");
    return v;
  }
  /** An array of integers (each checked as integer() does). */
  std::vector<int64_t> integers(size_t i, int64_t min = 0) const {
    bool isArray = false;
    napi_is_array(env_, at(i), &isArray);
    if (!isArray) throw std::invalid_argument("argument " + std::to_string(i) + ": expected an array");
    uint32_t length = 0;
    napi_get_array_length(env_, at(i), &length);
    std::vector<int64_t> values(length);
    for (uint32_t j = 0; j < length; j++) {
      napi_value element;
      int64_t v = 0;
      napi_get_element(env_, at(i), j, &element);
      if (napi_get_value_int64(env_, element, &v) != napi_ok || v < min || v > (int64_t{1} << 31)) {
        throw std::invalid_argument("argument " + std::to_string(i) + ": element " + std::to_string(j) + " out of range");
      }
      values[j] = v;
    }
    return values;
  }
  /** A Float32Array of any length, and that length. */
  std::pair<float*, int64_t> anyFloats(size_t i) const {
    bool isTyped = false;
    napi_is_typedarray(env_, at(i), &isTyped);
    napi_typedarray_type type = napi_int8_array;
    size_t length = 0, offset;
    void* data = nullptr;
    napi_value buffer;
    if (isTyped) napi_get_typedarray_info(env_, at(i), &type, &length, &data, &buffer, &offset);
    if (type != napi_float32_array) throw std::invalid_argument("argument " + std::to_string(i) + ": expected a Float32Array");
    return {static_cast<float*>(data), static_cast<int64_t>(length)};
  }
  float number(size_t i) const {
    double v = 0;
    if (napi_get_value_double(env_, at(i), &v) != napi_ok) throw std::invalid_argument("expected a number");
    return static_cast<float>(v);
  }
  bool flag(size_t i) const {
    bool v = false;
    if (napi_get_value_bool(env_, at(i), &v) != napi_ok) throw std::invalid_argument("expected a boolean");
    return v;
  }

 private:
  napi_value at(size_t i) const {
    if (i >= argv_.size()) throw std::invalid_argument("missing argument");
    return argv_[i];
  }
  napi_env env_;
  std::vector<napi_value> argv_;
};

// Runs body(args), turning any C++ exception into a JavaScript error.
template <typename Body>
napi_value guarded(napi_env env, napi_callback_info info, Body body) {
  try {
    body(Args(env, info));
  } catch (const std::exception& e) {
    napi_throw_error(env, "ERR_NATIVE_KERNEL", e.what());
  }
  return nullptr;
}

napi_value Conv(napi_env env, napi_callback_info info) {
  return guarded(env, info, [](const Args& a) {
    ConvShape s{a.integer(4, 1),  a.integer(5, 1),  a.integer(6, 1),  a.integer(7, 1),  a.integer(8, 1),
                a.integer(9, 1),  a.integer(10, 1), a.integer(11, 1), a.integer(12, 1), a.integer(13, 1),
                a.integer(14, 1), a.integer(15),    a.integer(16),    a.integer(17),    a.integer(18)};
    int64_t kind = a.integer(0);
    if (kind > static_cast<int64_t>(ConvKind::backwardWeights)) throw std::invalid_argument("unknown convolution kind");
    const int64_t x = s.n * s.h * s.w * s.ci, filter = s.kh * s.kw * s.ci * s.co, y = s.n * s.oh * s.ow * s.co;
    // forward: (x, filter) -> y; backward data: (dy, filter) -> dx; backward weights: (x, dy) -> dfilter
    const int64_t sizes[3][3] = {{x, filter, y}, {y, filter, x}, {x, y, filter}};
    const auto& size = sizes[kind];
    conv(static_cast<ConvKind>(kind), s, a.floats(1, size[0]), a.floats(2, size[1]), a.floats(3, size[2]));
  });
}

napi_value Matmul(napi_env env, napi_callback_info info) {
  return guarded(env, info, [](const Args& a) {
    int64_t batch = a.integer(3, 1), aBatch = a.integer(4, 1), bBatch = a.integer(5, 1), m = a.integer(6, 1),
            n = a.integer(7, 1), k = a.integer(8, 1);
    if ((aBatch != 1 && aBatch != batch) || (bBatch != 1 && bBatch != batch)) throw std::invalid_argument("aBatch and bBatch must be 1 or batch");
    matmul(batch, aBatch, bBatch, m, n, k, a.flag(9), a.flag(10), a.floats(0, aBatch * m * k), a.floats(1, bBatch * k * n),
           a.floats(2, batch * m * n));
  });
}

napi_value BatchNormForward(napi_env env, napi_callback_info info) {
  return guarded(env, info, [](const Args& a) {
    int64_t rows = a.integer(6, 1), c = a.integer(7, 1);
    batchNormForward(rows, c, a.number(8), a.floats(0, rows * c), a.floats(1, c, true), a.floats(2, c, true), a.floats(3, rows * c),
                     a.floats(4, c), a.floats(5, c));
  });
}

napi_value BatchNormBackward(napi_env env, napi_callback_info info) {
  return guarded(env, info, [](const Args& a) {
    int64_t rows = a.integer(8, 1), c = a.integer(9, 1);
    batchNormBackward(rows, c, a.number(10), a.floats(0, rows * c), a.floats(1, rows * c), a.floats(2, c), a.floats(3, c),
                      a.floats(4, c, true), a.floats(5, rows * c), a.floats(6, c, true), a.floats(7, c, true));
  });
}

napi_value SgdUpdate(napi_env env, napi_callback_info info) {
  return guarded(env, info, [](const Args& a) {
    int64_t size = a.integer(5, 1);
    sgdUpdate(size, a.number(6), a.number(7), a.number(8), a.floats(0, size), a.floats(1, size), a.floats(2, size), a.floats(3, size),
              a.floats(4, size));
  });
}

napi_value LayerNormForward(napi_env env, napi_callback_info info) {
  return guarded(env, info, [](const Args& a) {
    int64_t rows = a.integer(6, 1), c = a.integer(7, 1);
    layerNormForward(rows, c, a.number(8), a.floats(0, rows * c), a.floats(1, c), a.floats(2, c), a.floats(3, rows * c), a.floats(4, rows),
                     a.floats(5, rows));
  });
}

napi_value LayerNormBackward(napi_env env, napi_callback_info info) {
  return guarded(env, info, [](const Args& a) {
    int64_t rows = a.integer(8, 1), c = a.integer(9, 1);
    layerNormBackward(rows, c, a.floats(0, rows * c), a.floats(1, rows * c), a.floats(2, rows), a.floats(3, rows), a.floats(4, c),
                      a.floats(5, rows * c), a.floats(6, c), a.floats(7, c));
  });
}

napi_value GeluForward(napi_env env, napi_callback_info info) {
  return guarded(env, info, [](const Args& a) {
    int64_t size = a.integer(2, 1);
    geluForward(size, a.floats(0, size), a.floats(1, size));
  });
}

napi_value GeluBackward(napi_env env, napi_callback_info info) {
  return guarded(env, info, [](const Args& a) {
    int64_t size = a.integer(3, 1);
    geluBackward(size, a.floats(0, size), a.floats(1, size), a.floats(2, size));
  });
}

napi_value SoftmaxForward(napi_env env, napi_callback_info info) {
  return guarded(env, info, [](const Args& a) {
    int64_t rows = a.integer(2, 1), c = a.integer(3, 1);
    softmaxForward(rows, c, a.floats(0, rows * c), a.floats(1, rows * c));
  });
}

napi_value SoftmaxBackward(napi_env env, napi_callback_info info) {
  return guarded(env, info, [](const Args& a) {
    int64_t rows = a.integer(3, 1), c = a.integer(4, 1);
    softmaxBackward(rows, c, a.floats(0, rows * c), a.floats(1, rows * c), a.floats(2, rows * c));
  });
}

napi_value StridedCopy(napi_env env, napi_callback_info info) {
  return guarded(env, info, [](const Args& a) {
    std::vector<int64_t> shape = a.integers(2, 1), strides = a.integers(3);
    int64_t offset = a.integer(4);
    if (shape.size() != strides.size()) throw std::invalid_argument("shape and strides differ in length");
    // the last element read must lie inside x
    int64_t size = 1, last = offset;
    for (size_t k = 0; k < shape.size(); k++) {
      size *= shape[k];
      last += (shape[k] - 1) * strides[k];
    }
    auto [x, xLength] = a.anyFloats(0);
    if (last >= xLength) throw std::invalid_argument("the copy reads past the end of x");
    stridedCopy(shape, strides, offset, x, a.floats(1, size));
  });
}

napi_value Threads(napi_env env, napi_callback_info) {
  napi_value value;
  napi_create_int32(env, omp_get_max_threads(), &value);
  return value;
}

napi_value ScratchBytes(napi_env env, napi_callback_info) {
  napi_value value;
  napi_create_double(env, static_cast<double>(convScratchBytes()), &value);
  return value;
}

napi_value Init(napi_env env, napi_value exports) {
  const std::pair<const char*, napi_callback> functions[] = {
      {"conv", Conv}, {"matmul", Matmul}, {"batchNormForward", BatchNormForward},
      {"batchNormBackward", BatchNormBackward}, {"sgdUpdate", SgdUpdate}, {"layerNormForward", LayerNormForward},
      {"layerNormBackward", LayerNormBackward}, {"geluForward", GeluForward}, {"geluBackward", GeluBackward},
      {"softmaxForward", SoftmaxForward}, {"softmaxBackward", SoftmaxBackward}, {"stridedCopy", StridedCopy},
      {"threads", Threads}, {"scratchBytes", ScratchBytes},
  };
  for (const auto& [name, fn] : functions) {
    napi_value value;
    napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, nullptr, &value);
    napi_set_named_property(env, exports, name, value);
  }
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
