// One fused pass of SGD with momentum and coupled weight decay (tfjs needs six elementwise ops,
// each a full read and write of the parameter).
#include "kernels.h"

namespace simsiam {

void sgdUpdate(int64_t size, float lr, float momentum, float weightDecay, const float* param, const float* grad,
               const float* buf, float* paramOut, float* bufOut) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < size; i++) {
    float b = momentum * buf[i] + (grad[i] + weightDecay * param[i]);
    bufOut[i] = b;
    paramOut[i] = param[i] - lr * b;
  }
}

}  // namespace simsiam
