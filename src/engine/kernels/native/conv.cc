// Convolutions through oneDNN (the library behind PyTorch's CPU convolutions). tfjs's NHWC/HWIO
// layouts are described to oneDNN as they are, so nothing is copied; primitives are cached per shape
// because creating one costs far more than running it.
#include <dnnl.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <algorithm>
#include <tuple>
#include <vector>
#include "kernels.h"

namespace simsiam {
namespace {

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

engine& cpuEngine() {
  static engine eng(engine::kind::cpu, 0);
  return eng;
}

struct Primitive {
  primitive prim;
  memory::desc a, b, out, scratchpad;
};

template <typename Prim>
Primitive make(const typename Prim::primitive_desc& pd, const memory::desc& a, const memory::desc& b, const memory::desc& out) {
  return {Prim(pd), a, b, out, pd.scratchpad_desc()};
}

Primitive build(ConvKind kind, const ConvShape& s) {
  memory::desc x({s.n, s.ci, s.h, s.w}, dt::f32, tag::nhwc);
  memory::desc wt({s.co, s.ci, s.kh, s.kw}, dt::f32, tag::hwio);
  memory::desc y({s.n, s.co, s.oh, s.ow}, dt::f32, tag::nhwc);
  memory::dims strides{s.sh, s.sw}, padL{s.pt, s.pl}, padR{s.pb, s.pr};
  auto& eng = cpuEngine();
  // The library's own scratchpad is one buffer shared by every thread; engine threads (training,
  // evaluation) run convolutions concurrently, so each call brings its own (see conv()).
  primitive_attr attr;
  attr.set_scratchpad_mode(scratchpad_mode::user);
  convolution_forward::desc fwd(prop_kind::forward_training, algorithm::convolution_direct, x, wt, y, strides, padL, padR);
  convolution_forward::primitive_desc fwdPd(fwd, attr, eng);
  switch (kind) {
    case ConvKind::forward:
      return make<convolution_forward>(fwdPd, x, wt, y);
    case ConvKind::backwardData: {
      convolution_backward_data::desc d(algorithm::convolution_direct, x, wt, y, strides, padL, padR);
      return make<convolution_backward_data>(convolution_backward_data::primitive_desc(d, attr, eng, fwdPd), y, wt, x);
    }
    default: {
      convolution_backward_weights::desc d(algorithm::convolution_direct, x, wt, y, strides, padL, padR);
      return make<convolution_backward_weights>(convolution_backward_weights::primitive_desc(d, attr, eng, fwdPd), x, y, wt);
    }
  }
}

using Key = std::tuple<int, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                       int64_t, int64_t, int64_t, int64_t>;

}  // namespace

void conv(ConvKind kind, const ConvShape& s, const float* a, const float* b, float* out) {
  static std::map<Key, std::unique_ptr<Primitive>> cache;
  static std::mutex lock;  // several engine threads may share the addon
  Key key{static_cast<int>(kind), s.n, s.h, s.w, s.ci, s.kh, s.kw, s.co, s.oh, s.ow, s.sh, s.sw, s.pt, s.pl, s.pb, s.pr};
  Primitive* p;
  {
    std::lock_guard<std::mutex> guard(lock);
    auto& slot = cache[key];
    if (!slot) slot = std::make_unique<Primitive>(build(kind, s));
    p = slot.get();
  }
  auto& eng = cpuEngine();
  memory ma(p->a, eng, const_cast<float*>(a)), mb(p->b, eng, const_cast<float*>(b)), mo(p->out, eng, out);
  std::unordered_map<int, memory> args;
  if (kind == ConvKind::forward) args = {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mo}};
  else if (kind == ConvKind::backwardData) args = {{DNNL_ARG_DIFF_DST, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DIFF_SRC, mo}};
  else args = {{DNNL_ARG_SRC, ma}, {DNNL_ARG_DIFF_DST, mb}, {DNNL_ARG_DIFF_WEIGHTS, mo}};
  thread_local std::vector<char> scratch;
  scratch.resize(std::max(scratch.size(), p->scratchpad.get_size()));
  args.insert({DNNL_ARG_SCRATCHPAD, memory(p->scratchpad, eng, scratch.data())});
  stream strm(eng);
  p->prim.execute(strm, args);
  strm.wait();
}

}  // namespace simsiam
