// Convolutions through oneDNN (the library behind PyTorch's CPU convolutions). tfjs's NHWC activations
// are described to oneDNN as they are, so they are never copied. The filter layout is left to the
// primitive: with HWIO imposed, oneDNN on AVX2-only CPUs falls back to im2col + gemm, 1.2-2.9x slower
// per convolution than its blocked-filter jit kernels; the filter (small) is reordered per call.
// Primitives are cached per shape because creating one costs far more than running it.
#include <dnnl.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <algorithm>
#include <optional>
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

// The library's own scratchpad is one buffer shared by every thread; engine threads (training,
// evaluation) run convolutions concurrently, so each call brings its own (see conv()).
primitive_attr userScratchpad() {
  primitive_attr attr;
  attr.set_scratchpad_mode(scratchpad_mode::user);
  return attr;
}

struct Primitive {
  primitive prim;
  memory::desc a, b, out, scratchpad;
  // the filter as the primitive wants it, and the reorder from (forward, backward data) or to
  // (backward weights) tfjs's HWIO; none when the two layouts are the same
  memory::desc filter;
  std::optional<reorder> filterReorder;
};

template <typename Prim>
Primitive make(const typename Prim::primitive_desc& pd, const memory::desc& a, const memory::desc& b, const memory::desc& out,
               const memory::desc& hwio, const memory::desc& chosen, bool filterIsOutput) {
  Primitive p{Prim(pd), a, b, out, pd.scratchpad_desc(), chosen, std::nullopt};
  if (chosen != hwio) {
    auto& eng = cpuEngine();
    auto rpd = filterIsOutput ? reorder::primitive_desc(eng, chosen, eng, hwio, userScratchpad())
                              : reorder::primitive_desc(eng, hwio, eng, chosen, userScratchpad());
    if (rpd.scratchpad_desc().get_size() > 0) throw error(dnnl_unimplemented, "filter reorder needs a scratchpad");
    p.filterReorder = reorder(rpd);
  }
  return p;
}

Primitive build(ConvKind kind, const ConvShape& s) {
  memory::desc x({s.n, s.ci, s.h, s.w}, dt::f32, tag::nhwc);
  memory::desc hwio({s.co, s.ci, s.kh, s.kw}, dt::f32, tag::hwio);
  memory::desc anyFilter({s.co, s.ci, s.kh, s.kw}, dt::f32, tag::any);
  memory::desc y({s.n, s.co, s.oh, s.ow}, dt::f32, tag::nhwc);
  memory::dims strides{s.sh, s.sw}, padL{s.pt, s.pl}, padR{s.pb, s.pr};
  auto& eng = cpuEngine();
  auto attr = userScratchpad();
  convolution_forward::desc fwd(prop_kind::forward_training, algorithm::convolution_direct, x, anyFilter, y, strides, padL, padR);
  convolution_forward::primitive_desc fwdPd(fwd, attr, eng);
  switch (kind) {
    case ConvKind::forward:
      return make<convolution_forward>(fwdPd, x, hwio, y, hwio, fwdPd.weights_desc(), false);
    case ConvKind::backwardData: {
      convolution_backward_data::desc d(algorithm::convolution_direct, x, anyFilter, y, strides, padL, padR);
      convolution_backward_data::primitive_desc pd(d, attr, eng, fwdPd);
      return make<convolution_backward_data>(pd, y, hwio, x, hwio, pd.weights_desc(), false);
    }
    default: {
      convolution_backward_weights::desc d(algorithm::convolution_direct, x, anyFilter, y, strides, padL, padR);
      convolution_backward_weights::primitive_desc pd(d, attr, eng, fwdPd);
      return make<convolution_backward_weights>(pd, x, y, hwio, hwio, pd.diff_weights_desc(), true);
    }
  }
}

// The convolution scratchpad and the filter in the primitive's layout, per calling thread; they only
// grow (to the largest convolution run), and are kept for the next call.
thread_local std::vector<char> scratch, filter;

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
  stream strm(eng);
  memory ma(p->a, eng, const_cast<float*>(a)), mb(p->b, eng, const_cast<float*>(b)), mo(p->out, eng, out);
  scratch.resize(std::max(scratch.size(), p->scratchpad.get_size()));
  filter.resize(std::max(filter.size(), p->filter.get_size()));
  // the filter operand (b, or the output for backward weights) in the primitive's layout
  memory& userFilter = kind == ConvKind::backwardWeights ? mo : mb;
  memory chosenFilter = p->filterReorder ? memory(p->filter, eng, filter.data()) : userFilter;
  if (p->filterReorder && kind != ConvKind::backwardWeights) p->filterReorder->execute(strm, userFilter, chosenFilter);
  std::unordered_map<int, memory> args;
  if (kind == ConvKind::forward) args = {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, chosenFilter}, {DNNL_ARG_DST, mo}};
  else if (kind == ConvKind::backwardData) args = {{DNNL_ARG_DIFF_DST, ma}, {DNNL_ARG_WEIGHTS, chosenFilter}, {DNNL_ARG_DIFF_SRC, mo}};
  else args = {{DNNL_ARG_SRC, ma}, {DNNL_ARG_DIFF_DST, mb}, {DNNL_ARG_DIFF_WEIGHTS, chosenFilter}};
  args.insert({DNNL_ARG_SCRATCHPAD, memory(p->scratchpad, eng, scratch.data())});
  p->prim.execute(strm, args);
  if (p->filterReorder && kind == ConvKind::backwardWeights) p->filterReorder->execute(strm, chosenFilter, userFilter);
  strm.wait();
}

int64_t convScratchBytes() {
  return static_cast<int64_t>(scratch.capacity() + filter.capacity());
}

}  // namespace simsiam
