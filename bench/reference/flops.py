"""Floating-point work of a training step, and the convolution peak of this machine.

The step's FLOPs are counted from the aten calls it makes (convolutions forward and backward, and
matrix products), so the same figure divides both frameworks' step times: torch 1.13 has no flop
counter of its own. Elementwise ops, norms and reductions are left out, as usual for GFLOP/s.
"""
import math
import time

import torch
from torch.utils._python_dispatch import TorchDispatchMode

aten = torch.ops.aten


def _conv(x_shape, w_shape, out_shape, transposed):
    # each output element (or input element, transposed) costs a multiply-add per weight of its group
    per_element = math.prod(w_shape[1:])
    return 2 * per_element * math.prod(x_shape if transposed else out_shape)


def _convolution(args, out):
    return _conv(args[0].shape, args[1].shape, out.shape, args[6])


def _convolution_backward(args, out):
    grad_out, x, w = args[0], args[1], args[2]
    transposed, mask = args[7], args[-1]
    one = _conv(x.shape, w.shape, grad_out.shape, transposed)
    # the input's gradient and the weight's each cost one forward convolution
    return one * (int(mask[0]) + int(mask[1]))


def _mm(args, out):
    a, b = args[-2], args[-1]
    return 2 * a.shape[0] * a.shape[1] * b.shape[1]


def _bmm(args, out):
    a, b = args[0], args[1]
    return 2 * a.shape[0] * a.shape[1] * a.shape[2] * b.shape[2]


COUNTERS = {
    aten.convolution.default: _convolution,
    aten.convolution_backward.default: _convolution_backward,
    aten.mm.default: _mm,
    aten.addmm.default: _mm,
    aten.bmm.default: _bmm,
    aten.baddbmm.default: lambda args, out: _bmm(args[1:], out),
}


class _Counter(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.flops = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        count = COUNTERS.get(func)
        if count:
            self.flops += count(args, out)
        return out


def step_flops(step):
    """Runs `step` once and returns the FLOPs of its convolutions and matrix products."""
    with _Counter() as counter:
        step()
    return counter.flops


def conv_peak_gflops(device, repeats=5):
    """PyTorch's best rate on one large 3×3 convolution, forward and both gradients, as in training."""
    x = torch.randn(64, 128, 32, 32, device=device, requires_grad=True)
    conv = torch.nn.Conv2d(128, 128, 3, padding=1, bias=False).to(device)
    flops = 3 * _conv(x.shape, conv.weight.shape, x.shape, False)
    best = math.inf
    for _ in range(repeats + 1):
        start = time.perf_counter()
        conv(x).sum().backward()
        if device != 'cpu':
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return round(flops / best / 1e9, 1)
