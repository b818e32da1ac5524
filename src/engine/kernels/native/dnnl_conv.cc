// Feasibility spike: oneDNN (Debian libdnnl 2.6) 2-D convolutions for tfjs tensors, exposed through
// plain N-API. Layouts are tfjs's own (activations NHWC, filters HWIO), so no copies are needed on
// the JS side; primitives are cached per shape because creating one costs far more than running it.
//   conv(kind, a, b, out, n, h, w, ci, kh, kw, co, oh, ow, strideH, strideW, padTop, padLeft, padBottom, padRight)
//   kind 0 forward:          a = x,  b = filter -> out = y
//   kind 1 backward data:    a = dy, b = filter -> out = dx
//   kind 2 backward weights: a = x,  b = dy     -> out = dW
#include <node_api.h>
#include <dnnl.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

engine& cpuEngine() {
  static engine eng(engine::kind::cpu, 0);
  return eng;
}

struct Conv {
  primitive prim;
  memory::desc a, b, out;
};

struct Shape {
  memory::dim n, h, w, ci, kh, kw, co, oh, ow, sh, sw, pt, pl, pb, pr;
};

Conv build(int kind, const Shape& s) {
  memory::desc x({s.n, s.ci, s.h, s.w}, dt::f32, tag::nhwc);
  memory::desc wt({s.co, s.ci, s.kh, s.kw}, dt::f32, tag::hwio);
  memory::desc y({s.n, s.co, s.oh, s.ow}, dt::f32, tag::nhwc);
  memory::dims strides{s.sh, s.sw}, padL{s.pt, s.pl}, padR{s.pb, s.pr};
  auto& eng = cpuEngine();
  convolution_forward::desc fwd(prop_kind::forward_training, algorithm::convolution_direct, x, wt, y, strides, padL, padR);
  convolution_forward::primitive_desc fwdPd(fwd, eng);
  if (kind == 0) return {convolution_forward(fwdPd), x, wt, y};
  if (kind == 1) {
    convolution_backward_data::desc d(algorithm::convolution_direct, x, wt, y, strides, padL, padR);
    return {convolution_backward_data(convolution_backward_data::primitive_desc(d, eng, fwdPd)), y, wt, x};
  }
  convolution_backward_weights::desc d(algorithm::convolution_direct, x, wt, y, strides, padL, padR);
  return {convolution_backward_weights(convolution_backward_weights::primitive_desc(d, eng, fwdPd)), x, y, wt};
}

float* floats(napi_env env, napi_value v) {
  void* data = nullptr;
  size_t length = 0;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset = 0;
  napi_get_typedarray_info(env, v, &type, &length, &data, &buffer, &offset);
  return static_cast<float*>(data);
}

napi_value Run(napi_env env, napi_callback_info info) {
  size_t argc = 19;
  napi_value argv[19];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int64_t v[16];
  for (int i = 0; i < 16; i++) napi_get_value_int64(env, argv[i == 0 ? 0 : i + 3], &v[i]);
  Shape s{v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15]};
  static std::map<std::string, std::unique_ptr<Conv>> cache;
  std::string key;
  for (auto d : v) key += std::to_string(d) + ",";
  auto& conv = cache[key];
  try {
    if (!conv) conv = std::make_unique<Conv>(build(static_cast<int>(v[0]), s));
    auto& eng = cpuEngine();
    memory a(conv->a, eng, floats(env, argv[1])), b(conv->b, eng, floats(env, argv[2])), out(conv->out, eng, floats(env, argv[3]));
    stream strm(eng);
    std::unordered_map<int, memory> args;
    if (v[0] == 0) args = {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, out}};
    else if (v[0] == 1) args = {{DNNL_ARG_DIFF_DST, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DIFF_SRC, out}};
    else args = {{DNNL_ARG_SRC, a}, {DNNL_ARG_DIFF_DST, b}, {DNNL_ARG_DIFF_WEIGHTS, out}};
    conv->prim.execute(strm, args);
    strm.wait();
  } catch (const dnnl::error& e) {
    cache.erase(key);
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "conv", NAPI_AUTO_LENGTH, Run, nullptr, &fn);
  napi_set_named_property(env, exports, "conv", fn);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
