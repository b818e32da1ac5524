// Softmax over the last axis of [rows, c] and its gradient dx = y * (dy - sum(dy * y)), one pass per
// row each (tfjs-wasm runs softmax on one thread and composes the gradient from Mul, Sum, Sub, Mul).
#include "kernels.h"
#include "rowwise.h"

namespace simsiam {
namespace {

ROW_KERNEL void forwardRow(int64_t c, const float* x, float* y) {
  float max = x[0];
#pragma omp simd reduction(max : max)
  for (int64_t j = 0; j < c; j++) max = x[j] > max ? x[j] : max;
  float sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t j = 0; j < c; j++) {
    y[j] = expf_(x[j] - max);
    sum += y[j];
  }
  const float inv = 1.0f / sum;
#pragma omp simd
  for (int64_t j = 0; j < c; j++) y[j] *= inv;
}

ROW_KERNEL void backwardRow(int64_t c, const float* dy, const float* y, float* dx) {
  float dot = 0;
#pragma omp simd reduction(+ : dot)
  for (int64_t j = 0; j < c; j++) dot += dy[j] * y[j];
#pragma omp simd
  for (int64_t j = 0; j < c; j++) dx[j] = y[j] * (dy[j] - dot);
}

}  // namespace

void softmaxForward(int64_t rows, int64_t c, const float* x, float* y) {
  forEachRow(rows, [&](int64_t r) { forwardRow(c, x + r * c, y + r * c); });
}

void softmaxBackward(int64_t rows, int64_t c, const float* dy, const float* y, float* dx) {
  forEachRow(rows, [&](int64_t r) { backwardRow(c, dy + r * c, y + r * c, dx + r * c); });
}

}  // namespace simsiam
