// Plain C++ kernels on raw float buffers (tfjs layouts: activations NHWC, filters HWIO, matrices
// row-major). addon.cc adapts them to N-API; each .cc file holds one kind of kernel.
#pragma once
#include <cstdint>
#include <vector>

namespace simsiam {

struct ConvShape {
  int64_t n, h, w, ci, kh, kw, co, oh, ow, sh, sw, pt, pl, pb, pr;
};
enum class ConvKind { forward = 0, backwardData = 1, backwardWeights = 2 };
// forward: (x, filter) -> y; backwardData: (dy, filter) -> dx; backwardWeights: (x, dy) -> dW.
// Throws dnnl::error when oneDNN rejects the shape.
void conv(ConvKind kind, const ConvShape& s, const float* a, const float* b, float* out);
// Bytes the calling thread keeps for conv() between calls (scratchpad, reordered filter).
int64_t convScratchBytes();

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

// Layer norm over the last axis of x [rows, c]: per-row mean and 1/sqrt(biased variance + eps), then
// y = (x - mean) * rstd * gamma + beta.
void layerNormForward(int64_t rows, int64_t c, float eps, const float* x, const float* gamma, const float* beta, float* y,
                      float* mean, float* rstd);
// Its backward from the saved row statistics: dx, and dgamma/dbeta summed over rows.
void layerNormBackward(int64_t rows, int64_t c, const float* dy, const float* x, const float* mean, const float* rstd,
                       const float* gamma, float* dx, float* dgamma, float* dbeta);

// Exact GELU, y = x * Phi(x) (torch.nn.GELU()), elementwise over `size` floats, and its backward.
void geluForward(int64_t size, const float* x, float* y);
void geluBackward(int64_t size, const float* dy, const float* x, float* dx);

// Softmax over the last axis of [rows, c], and its backward from the output y.
void softmaxForward(int64_t rows, int64_t c, const float* x, float* y);
void softmaxBackward(int64_t rows, int64_t c, const float* dy, const float* y, float* dx);

// out (the size of `shape`, row-major) gets x[offset + sum_k i_k * strides[k]] at index (i_0, ...):
// a transpose (x's strides permuted) or a slice (x's strides, offset at its start).
void stridedCopy(const std::vector<int64_t>& shape, const std::vector<int64_t>& strides, int64_t offset, const float* x, float* out);

// torch.optim.SGD: g += wd * p; buf = momentum * buf + g; p -= lr * buf (fresh outputs).
void sgdUpdate(int64_t size, float lr, float momentum, float weightDecay, const float* param, const float* grad,
               const float* buf, float* paramOut, float* bufOut);

}  // namespace simsiam
