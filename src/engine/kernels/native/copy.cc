// Strided copies: transposes and slices of any rank in one multithreaded pass. tfjs-wasm transposes
// rank 5 (attention's [n, tokens, 3, heads, headDim] -> [3, n, heads, tokens, headDim]) through a
// generic index loop, slices rank 5 in JavaScript, and copies its whole input once per output of a
// split.
#include <cstring>
#include <stdexcept>
#include <vector>
#include "kernels.h"

namespace simsiam {

void stridedCopy(const std::vector<int64_t>& shape, const std::vector<int64_t>& strides, int64_t offset, const float* x, float* out) {
  // merge each axis into the next when the input walks them as one (a contiguous run)
  std::vector<int64_t> dims, steps;
  for (size_t k = 0; k < shape.size(); k++) {
    if (shape[k] == 1) continue;
    if (!dims.empty() && steps.back() == strides[k] * shape[k]) {
      dims.back() *= shape[k];
      steps.back() = strides[k];
    } else {
      dims.push_back(shape[k]);
      steps.push_back(strides[k]);
    }
  }
  if (dims.empty()) {
    dims.push_back(1);
    steps.push_back(1);
  }
  const int rank = static_cast<int>(dims.size());
  const int64_t inner = dims[rank - 1], step = steps[rank - 1];
  int64_t outer = 1;
  for (int k = 0; k < rank - 1; k++) outer *= dims[k];
#pragma omp parallel for schedule(static)
  for (int64_t o = 0; o < outer; o++) {
    int64_t from = offset, rest = o;
    for (int k = rank - 2; k >= 0; k--) {
      from += (rest % dims[k]) * steps[k];
      rest /= dims[k];
    }
    float* to = out + o * inner;
    if (step == 1) {
      std::memcpy(to, x + from, inner * sizeof(float));
    } else {
      for (int64_t i = 0; i < inner; i++) to[i] = x[from + i * step];
    }
  }
}

}  // namespace simsiam
