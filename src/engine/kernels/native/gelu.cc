// Exact (erf) GELU, torch.nn.GELU(), forward and backward in one pass each; tfjs composes it from
// Erf, Mul, Add and, for the gradient, Exp and five more elementwise ops.
#include <algorithm>
#include "kernels.h"
#include "rowwise.h"

namespace simsiam {
namespace {

constexpr int64_t kBlock = 4096;  // elements per unit of work
constexpr float kInvSqrt2 = 0.70710678118654752f, kInvSqrt2Pi = 0.39894228040143268f;

ROW_KERNEL void forwardBlock(int64_t n, const float* x, float* y) {
#pragma omp simd
  for (int64_t i = 0; i < n; i++) y[i] = 0.5f * x[i] * (1.0f + erf_(x[i] * kInvSqrt2));
}

// d/dx x Phi(x) = Phi(x) + x phi(x)
ROW_KERNEL void backwardBlock(int64_t n, const float* dy, const float* x, float* dx) {
#pragma omp simd
  for (int64_t i = 0; i < n; i++) {
    float cdf = 0.5f * (1.0f + erf_(x[i] * kInvSqrt2));
    float pdf = kInvSqrt2Pi * expf_(-0.5f * x[i] * x[i]);
    dx[i] = dy[i] * (cdf + x[i] * pdf);
  }
}

}  // namespace

void geluForward(int64_t size, const float* x, float* y) {
  forEachRow((size + kBlock - 1) / kBlock, [&](int64_t b) {
    int64_t i = b * kBlock;
    forwardBlock(std::min(kBlock, size - i), x + i, y + i);
  });
}

void geluBackward(int64_t size, const float* dy, const float* x, float* dx) {
  forEachRow((size + kBlock - 1) / kBlock, [&](int64_t b) {
    int64_t i = b * kBlock;
    backwardBlock(std::min(kBlock, size - i), dy + i, x + i, dx + i);
  });
}

}  // namespace simsiam
