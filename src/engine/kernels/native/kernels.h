// Plain C++ kernels on raw float buffers (tfjs layouts: activations NHWC, filters HWIO, matrices
// row-major). addon.cc adapts them to N-API; each .cc file holds one kind of kernel.
#pragma once
#include <cstdint>

namespace simsiam {

struct ConvShape {
  int64_t n, h, w, ci, kh, kw, co, oh, ow, sh, sw, pt, pl, pb, pr;
};
enum class ConvKind { forward = 0, backwardData = 1, backwardWeights = 2 };
// forward: (x, filter) -> y; backwardData: (dy, filter) -> dx; backwardWeights: (x, dy) -> dW.
// Throws dnnl::error when oneDNN rejects the shape.
void conv(ConvKind kind, const ConvShape& s, const float* a, const float* b, float* out);

// out[i] = op(a[i]) x op(b[i]) for i < batch; aBatch/bBatch is 1 (broadcast) or batch.
void matmul(int64_t batch, int64_t aBatch, int64_t bBatch, int64_t m, int64_t n, int64_t k, bool transA, bool transB,
            const float* a, const float* b, float* out);

// Training-mode batch norm over rows of x [rows, c]: mean and biased variance per channel, then
// y = (x - mean) / sqrt(var + eps) * gamma + beta (gamma/beta may be null: no affine).
void batchNormForward(int64_t rows, int64_t c, float eps, const float* x, const float* gamma, const float* beta,
                      float* y, float* mean, float* variance);
// Closed-form backward of the above with batch statistics; dgamma/dbeta may be null.
void batchNormBackward(int64_t rows, int64_t c, float eps, const float* dy, const float* x, const float* mean,
                       const float* variance, const float* gamma, float* dx, float* dgamma, float* dbeta);

// torch.optim.SGD: g += wd * p; buf = momentum * buf + g; p -= lr * buf (fresh outputs).
void sgdUpdate(int64_t size, float lr, float momentum, float weightDecay, const float* param, const float* grad,
               const float* buf, float* paramOut, float* bufOut);

}  // namespace simsiam
