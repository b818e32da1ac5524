// Layer norm over the last axis of x [rows, c], forward and backward, one pass per row each (tfjs
// composes it from moments, about ten elementwise ops and reductions, each a full single-thread pass).
#include <cmath>
#include "kernels.h"
#include "rowwise.h"

namespace simsiam {
namespace {

ROW_KERNEL void forwardRow(int64_t c, float eps, const float* x, const float* gamma, const float* beta, float* y, float* mean,
                           float* rstd) {
  float sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t j = 0; j < c; j++) sum += x[j];
  const float m = sum / c;
  float squares = 0;
#pragma omp simd reduction(+ : squares)
  for (int64_t j = 0; j < c; j++) squares += (x[j] - m) * (x[j] - m);
  const float s = 1.0f / std::sqrt(squares / c + eps);
#pragma omp simd
  for (int64_t j = 0; j < c; j++) y[j] = (x[j] - m) * s * gamma[j] + beta[j];
  *mean = m;
  *rstd = s;
}

// dx for one row; adds dy * xhat and dy to the per-thread dgamma and dbeta sums
ROW_KERNEL void backwardRow(int64_t c, const float* dy, const float* x, float mean, float rstd, const float* gamma, float* dx,
                            double* dgamma, double* dbeta) {
  float sumG = 0, sumGXhat = 0;
#pragma omp simd reduction(+ : sumG, sumGXhat)
  for (int64_t j = 0; j < c; j++) {
    float g = dy[j] * gamma[j];
    sumG += g;
    sumGXhat += g * (x[j] - mean) * rstd;
  }
  const float meanG = sumG / c, meanGXhat = sumGXhat / c;
#pragma omp simd
  for (int64_t j = 0; j < c; j++) {
    float xhat = (x[j] - mean) * rstd;
    dx[j] = rstd * (dy[j] * gamma[j] - meanG - xhat * meanGXhat);
    dgamma[j] += dy[j] * xhat;
    dbeta[j] += dy[j];
  }
}

}  // namespace

void layerNormForward(int64_t rows, int64_t c, float eps, const float* x, const float* gamma, const float* beta, float* y,
                      float* mean, float* rstd) {
  forEachRow(rows, [&](int64_t r) { forwardRow(c, eps, x + r * c, gamma, beta, y + r * c, mean + r, rstd + r); });
}

void layerNormBackward(int64_t rows, int64_t c, const float* dy, const float* x, const float* mean, const float* rstd,
                       const float* gamma, float* dx, float* dgamma, float* dbeta) {
  std::vector<double> sums = forEachRowSumming(rows, 2 * c, [&](int64_t r, double* partial) {
    backwardRow(c, dy + r * c, x + r * c, mean[r], rstd[r], gamma, dx + r * c, partial, partial + c);
  });
  for (int64_t j = 0; j < c; j++) {
    dgamma[j] = static_cast<float>(sums[j]);
    dbeta[j] = static_cast<float>(sums[c + j]);
  }
}

}  // namespace simsiam
