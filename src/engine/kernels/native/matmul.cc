// Batched matrix products through oneDNN's sgemm, which takes transposed operands as they are (the
// wasm kernel sends them to a naive loop, or we paid for a transpose copy).
#include <dnnl.h>
#include <stdexcept>
#include "kernels.h"

namespace simsiam {

void matmul(int64_t batch, int64_t aBatch, int64_t bBatch, int64_t m, int64_t n, int64_t k, bool transA, bool transB,
            const float* a, const float* b, float* out) {
  for (int64_t i = 0; i < batch; i++) {
    const float* ai = a + (aBatch == 1 ? 0 : i) * m * k;
    const float* bi = b + (bBatch == 1 ? 0 : i) * k * n;
    dnnl_status_t status = dnnl_sgemm(transA ? 'T' : 'N', transB ? 'T' : 'N', m, n, k, 1.0f, ai, transA ? m : k, bi,
                                      transB ? k : n, 0.0f, out + i * m * n, n);
    if (status != dnnl_success) throw std::runtime_error("dnnl_sgemm failed");
  }
}

}  // namespace simsiam
