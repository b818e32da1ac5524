// N-API glue: every export takes Float32Array views (of tfjs-wasm's heap or anything else) plus
// numbers, and writes into the output views it is given; null stands for an absent optional buffer.
//   conv(kind, a, b, out, n, h, w, ci, kh, kw, co, oh, ow, strideH, strideW, padTop, padLeft, padBottom, padRight)
//   matmul(a, b, out, batch, aBatch, bBatch, m, n, k, transA, transB)
//   batchNormForward(x, gamma, beta, y, mean, variance, rows, c, eps)
//   batchNormBackward(dy, x, mean, variance, gamma, dx, dgamma, dbeta, rows, c, eps)
//   sgdUpdate(param, grad, buf, paramOut, bufOut, size, lr, momentum, weightDecay)
//   threads() -> OpenMP threads the kernels use (OMP_NUM_THREADS, else one per core)
#include <node_api.h>
#include <omp.h>
#include <exception>
#include <stdexcept>
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
  float* floats(size_t i) const {
    napi_valuetype kind;
    napi_typeof(env_, at(i), &kind);
    if (kind == napi_null || kind == napi_undefined) return nullptr;
    bool isTyped = false;
    napi_is_typedarray(env_, at(i), &isTyped);
    if (!isTyped) throw std::invalid_argument("expected a Float32Array");
    napi_typedarray_type type;
    size_t length, offset;
    void* data;
    napi_value buffer;
    napi_get_typedarray_info(env_, at(i), &type, &length, &data, &buffer, &offset);
    if (type != napi_float32_array) throw std::invalid_argument("expected a Float32Array");
    return static_cast<float*>(data);
  }
  int64_t integer(size_t i) const {
    int64_t v = 0;
    if (napi_get_value_int64(env_, at(i), &v) != napi_ok) throw std::invalid_argument("expected a number");
    return v;
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
    ConvShape s{a.integer(4),  a.integer(5),  a.integer(6),  a.integer(7),  a.integer(8),
                a.integer(9),  a.integer(10), a.integer(11), a.integer(12), a.integer(13),
                a.integer(14), a.integer(15), a.integer(16), a.integer(17), a.integer(18)};
    conv(static_cast<ConvKind>(a.integer(0)), s, a.floats(1), a.floats(2), a.floats(3));
  });
}

napi_value Matmul(napi_env env, napi_callback_info info) {
  return guarded(env, info, [](const Args& a) {
    matmul(a.integer(3), a.integer(4), a.integer(5), a.integer(6), a.integer(7), a.integer(8), a.flag(9), a.flag(10),
           a.floats(0), a.floats(1), a.floats(2));
  });
}

napi_value BatchNormForward(napi_env env, napi_callback_info info) {
  return guarded(env, info, [](const Args& a) {
    batchNormForward(a.integer(6), a.integer(7), a.number(8), a.floats(0), a.floats(1), a.floats(2), a.floats(3),
                     a.floats(4), a.floats(5));
  });
}

napi_value BatchNormBackward(napi_env env, napi_callback_info info) {
  return guarded(env, info, [](const Args& a) {
    batchNormBackward(a.integer(8), a.integer(9), a.number(10), a.floats(0), a.floats(1), a.floats(2), a.floats(3),
                      a.floats(4), a.floats(5), a.floats(6), a.floats(7));
  });
}

napi_value SgdUpdate(napi_env env, napi_callback_info info) {
  return guarded(env, info, [](const Args& a) {
    sgdUpdate(a.integer(5), a.number(6), a.number(7), a.number(8), a.floats(0), a.floats(1), a.floats(2), a.floats(3),
              a.floats(4));
  });
}

napi_value Threads(napi_env env, napi_callback_info) {
  napi_value value;
  napi_create_int32(env, omp_get_max_threads(), &value);
  return value;
}

napi_value Init(napi_env env, napi_value exports) {
  const std::pair<const char*, napi_callback> functions[] = {
      {"conv", Conv}, {"matmul", Matmul}, {"batchNormForward", BatchNormForward},
      {"batchNormBackward", BatchNormBackward}, {"sgdUpdate", SgdUpdate}, {"threads", Threads},
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
