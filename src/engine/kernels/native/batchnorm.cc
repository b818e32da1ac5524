// Training-mode batch norm, forward and backward, each in two passes over [rows, c] (tfjs builds
// either from about ten elementwise ops and reductions, each a full pass on a single thread).
// Statistics accumulate in double per thread, then merge in a fixed order.
#include <cmath>
#include <vector>
#include <omp.h>
#include "kernels.h"

namespace simsiam {
namespace {

// Per-channel sums of f(row, channel) over all rows, split over threads. Each thread sums a fixed
// block of rows (static schedule) and the partial sums merge in thread order, so results are the
// same bits on every run with the same thread count (checkpoint resumes stay exact).
template <typename F>
void channelSums(int64_t rows, int64_t c, std::vector<double>& s1, std::vector<double>& s2, F f) {
  const int threads = omp_get_max_threads();
  std::vector<std::vector<double>> p1(threads, std::vector<double>(c, 0.0)), p2(threads, std::vector<double>(c, 0.0));
#pragma omp parallel num_threads(threads)
  {
    auto& t1 = p1[omp_get_thread_num()];
    auto& t2 = p2[omp_get_thread_num()];
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; r++) {
      for (int64_t j = 0; j < c; j++) f(r, j, t1[j], t2[j]);
    }
  }
  s1.assign(c, 0.0);
  s2.assign(c, 0.0);
  for (int t = 0; t < threads; t++) {
    for (int64_t j = 0; j < c; j++) {
      s1[j] += p1[t][j];
      s2[j] += p2[t][j];
    }
  }
}

}  // namespace

void batchNormForward(int64_t rows, int64_t c, float eps, const float* x, const float* gamma, const float* beta,
                      float* y, float* mean, float* variance) {
  std::vector<double> sum, unused;
  channelSums(rows, c, sum, unused, [&](int64_t r, int64_t j, double& s, double&) { s += x[r * c + j]; });
  for (int64_t j = 0; j < c; j++) mean[j] = static_cast<float>(sum[j] / rows);
  std::vector<double> squares;
  channelSums(rows, c, squares, unused, [&](int64_t r, int64_t j, double& s, double&) {
    double d = x[r * c + j] - mean[j];
    s += d * d;
  });
  std::vector<float> scale(c), shift(c);
  for (int64_t j = 0; j < c; j++) {
    variance[j] = static_cast<float>(squares[j] / rows);
    float invStd = 1.0f / std::sqrt(variance[j] + eps);
    scale[j] = gamma ? invStd * gamma[j] : invStd;
    shift[j] = (beta ? beta[j] : 0.0f) - mean[j] * scale[j];
  }
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; r++) {
#pragma omp simd
    for (int64_t j = 0; j < c; j++) y[r * c + j] = x[r * c + j] * scale[j] + shift[j];
  }
}

void batchNormBackward(int64_t rows, int64_t c, float eps, const float* dy, const float* x, const float* mean,
                       const float* variance, const float* gamma, float* dx, float* dgamma, float* dbeta) {
  std::vector<float> invStd(c);
  for (int64_t j = 0; j < c; j++) invStd[j] = 1.0f / std::sqrt(variance[j] + eps);
  // sum(dy) and sum(dy * xhat) per channel
  std::vector<double> sumDy, sumDyXhat;
  channelSums(rows, c, sumDy, sumDyXhat, [&](int64_t r, int64_t j, double& s1, double& s2) {
    double g = dy[r * c + j];
    s1 += g;
    s2 += g * (x[r * c + j] - mean[j]) * invStd[j];
  });
  // dx = gamma * invStd * (dy - mean(dy) - xhat * mean(dy * xhat))
  std::vector<float> meanDy(c), meanDyXhat(c), scale(c);
  for (int64_t j = 0; j < c; j++) {
    meanDy[j] = static_cast<float>(sumDy[j] / rows);
    meanDyXhat[j] = static_cast<float>(sumDyXhat[j] / rows);
    scale[j] = (gamma ? gamma[j] : 1.0f) * invStd[j];
    if (dgamma) dgamma[j] = static_cast<float>(sumDyXhat[j]);
    if (dbeta) dbeta[j] = static_cast<float>(sumDy[j]);
  }
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; r++) {
#pragma omp simd
    for (int64_t j = 0; j < c; j++) {
      int64_t i = r * c + j;
      float xhat = (x[i] - mean[j]) * invStd[j];
      dx[i] = scale[j] * (dy[i] - meanDy[j] - xhat * meanDyXhat[j]);
    }
  }
}

}  // namespace simsiam
