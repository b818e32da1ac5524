// Shared pieces of the row-wise kernels (layer norm, GELU, softmax): a branch-free exp and erf that
// loops can vectorise (libm's are scalar calls), and the dispatch of per-row work over the pack's
// OpenMP threads. ROW_KERNEL builds each per-row function twice, for AVX2 and for the baseline,
// picked at load time by CPU feature (an "arch=" clone is picked by CPU model, so never on AMD): the
// addon is built with the compiler's defaults (any x86-64) yet runs the wide version where it can.
#pragma once
#include <cstdint>
#include <cstring>
#include <vector>
#include <omp.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ROW_KERNEL __attribute__((target_clones("avx2", "default")))
#else
#define ROW_KERNEL
#endif

namespace simsiam {

// e^x as 2^n * e^r with r = x - n ln2 in [-ln2/2, ln2/2] and Cephes' degree-6 polynomial (about one
// ulp); inputs are clamped to the normal range, so e^x underflows to ~1e-38 rather than 0.
__attribute__((always_inline)) inline float expf_(float x) {
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  // n = round(x / ln2): adding and removing 1.5 * 2^23 rounds to an integer without a call or branch
  float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// erf by Abramowitz & Stegun 7.1.26, the formula PyTorch's vectorised CPU erf and tfjs's cpu
// backend both use.
__attribute__((always_inline)) inline float erf_(float x) {
  float a = x < 0 ? -x : x;
  float t = 1.0f / (1.0f + 0.3275911f * a);
  float p = 1.061405429f;
  p = p * t - 1.453152027f;
  p = p * t + 1.421413741f;
  p = p * t - 0.284496736f;
  p = p * t + 0.254829592f;
  float y = 1.0f - p * t * expf_(-a * a);
  return x < 0 ? -y : y;
}

// Runs row(r) for every row, rows split in fixed blocks over the threads (static schedule).
template <typename Row>
void forEachRow(int64_t rows, Row row) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; r++) row(r);
}

// Like forEachRow, with a zeroed array of `width` doubles per thread that row(r, partial) may add
// to; returns their sum, merged in thread order so every run with the same thread count gives the
// same bits (checkpoint resumes stay exact).
template <typename Row>
std::vector<double> forEachRowSumming(int64_t rows, int64_t width, Row row) {
  const int threads = omp_get_max_threads();
  std::vector<double> partials(static_cast<size_t>(threads) * width, 0.0);
#pragma omp parallel num_threads(threads)
  {
    double* partial = partials.data() + static_cast<int64_t>(omp_get_thread_num()) * width;
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; r++) row(r, partial);
  }
  std::vector<double> sum(width, 0.0);
  for (int t = 0; t < threads; t++) {
    for (int64_t j = 0; j < width; j++) sum[j] += partials[t * width + j];
  }
  return sum;
}

}  // namespace simsiam
