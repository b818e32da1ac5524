// Batched matrix products through oneDNN's sgemm, which takes transposed operands as they are (the
// wasm kernel sends them to a naive loop, or we paid for a transpose copy).
#include <dnnl.h>
#include <omp.h>
#include <atomic>
#include <stdexcept>
#include "kernels.h"

namespace simsiam {
namespace {

// Below this many multiply-adds a product is too small for sgemm to split over threads well
// (attention's per-head products): the batch is split over threads instead.
constexpr int64_t kSmallProduct = int64_t{1} << 21;

dnnl_status_t gemm(int64_t m, int64_t n, int64_t k, bool transA, bool transB, const float* a, const float* b, float* out) {
  return dnnl_sgemm(transA ? 'T' : 'N', transB ? 'T' : 'N', m, n, k, 1.0f, a, transA ? m : k, b, transB ? k : n, 0.0f, out, n);
}

}  // namespace

void matmul(int64_t batch, int64_t aBatch, int64_t bBatch, int64_t m, int64_t n, int64_t k, bool transA, bool transB,
            const float* a, const float* b, float* out) {
  // a [batch, m, k] times a shared b is one product with batch * m rows (linear layers on tokens)
  if (bBatch == 1 && aBatch == batch && !transA) {
    if (gemm(batch * m, n, k, false, transB, a, b, out) != dnnl_success) throw std::runtime_error("dnnl_sgemm failed");
    return;
  }
  auto one = [&](int64_t i) {
    return gemm(m, n, k, transA, transB, a + (aBatch == 1 ? 0 : i) * m * k, b + (bBatch == 1 ? 0 : i) * k * n, out + i * m * n);
  };
  std::atomic<bool> failed{false};
  if (batch > 1 && m * n * k < kSmallProduct) {
    // sgemm called inside a parallel region runs on the calling thread alone
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < batch; i++) {
      if (one(i) != dnnl_success) failed = true;
    }
  } else {
    for (int64_t i = 0; i < batch; i++) {
      if (one(i) != dnnl_success) failed = true;
    }
  }
  if (failed) throw std::runtime_error("dnnl_sgemm failed");
}

}  // namespace simsiam
