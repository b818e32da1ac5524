"""PyTorch reference for bench/train.ts, any method: times the method's training step (forward and
backward of every view, the optimizer's update, and the method's state updates: EMA and momentum
encoders, the queue, Sinkhorn, prototype normalisation) on random data. The networks, heads, settings
and method state are the engine's own, handed over by `bench/train.ts --reference-state FILE`
(referenceInput.ts: the trainer's checkpoint with the backbone spec, lr and views), and the step is the
one the reference checks hold against the engine (training_step.py, methods/). Parameters frozen at
the handed-over step stay frozen. For a ViT it also profiles one step for the share of CPU time in
attention. It counts the step's FLOPs (flops.py) and measures PyTorch's convolution peak on this
machine. Prints one JSON line. Run with Debian's torch:
  /usr/bin/python3 bench/reference/method_step.py --state FILE [--steps 20] [--warmup 3] [--threads 2]
With `--device cuda` (PyTorch 2 with CUDA, as bench/gpu's image has) the step runs on the GPU.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bundle  # noqa: E402
import flops  # noqa: E402
import training_step  # noqa: E402


def blas_library():
    """The BLAS this process loaded: Debian's torch calls whatever libblas.so.3 points to, and its
    reference BLAS is several times slower than OpenBLAS (apt-get install libopenblas0-pthread)."""
    with open('/proc/self/maps') as maps:
        paths = {line.split()[-1] for line in maps if 'blas' in line.rsplit('/', 1)[-1]}
    return sorted(paths)


def attention_share(step, tokens, head_dim):
    """Share of one profiled step's operator self time in attention, told by shapes as
    bench/kernelProfile.ts does: a tensor ending in [tokens, tokens], [tokens, headDim] or
    [headDim, tokens], per-head layouts (rank >= 4 ending in headDim), and softmax."""
    last_two = {(tokens, tokens), (tokens, head_dim), (head_dim, tokens)}

    def is_attention(event):
        if 'softmax' in event.key:
            return True
        return any(len(s) >= 3 and (tuple(s[-2:]) in last_two or (len(s) >= 4 and s[-1] == head_dim)) for s in event.input_shapes)

    with torch.autograd.profiler.profile(record_shapes=True) as prof:
        step()
    events = prof.key_averages(group_by_input_shape=True)
    total = sum(e.self_cpu_time_total for e in events)
    return round(sum(e.self_cpu_time_total for e in events if is_attention(e)) / total, 3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--state', required=True, help='bundle written by bench/train.ts --reference-state')
    ap.add_argument('--steps', type=int, default=20)
    ap.add_argument('--warmup', type=int, default=3)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--device', default='cpu', help='cpu, or cuda (needs PyTorch 2 for its default device)')
    args = ap.parse_args()

    cuda = args.device != 'cpu'
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if cuda:
        # the methods' own factory calls (labels, masks, queue slots) then land on the GPU too
        torch.set_default_device(args.device)
    # parameters and host state only: the engine's optimizer state is not needed to time steps
    meta, tensors = bundle.read(args.state, keep=lambda name: name.startswith(('param/', 'state/')))
    tensors = {name: t.to(args.device) for name, t in tensors.items()}
    cfg, spec = meta['config'], meta['spec']
    method, params, state = training_step.load(meta, tensors)
    trainable, frozen = meta['trainable'], tuple(meta['frozen'])
    opt = training_step.optimizer(method, cfg, params, trainable, {'scheduled': meta['lr'], 'fixed': meta['fixedLr']})
    n = cfg['batchSize']
    views = [torch.randn(n, cfg['channels'], v['size'], v['size']) for v in meta['views'] for _ in range(v['count'])]
    steps_done = meta['step']

    def step():
        nonlocal steps_done
        ctx = {'step': steps_done, 'stepsPerEpoch': meta['stepsPerEpoch'], 'indices': list(range(n))}
        loss, _ = training_step.step(method, cfg, spec, params, state, views, ctx, opt, trainable, frozen)
        steps_done += 1
        return loss.item()

    times, cpu_times, losses = [], [], []
    for i in range(args.warmup + args.steps):
        start, cpu_start = time.perf_counter(), time.process_time()
        losses.append(step())
        if cuda:
            torch.cuda.synchronize()
        if i >= args.warmup:
            times.append((time.perf_counter() - start) * 1000)
            cpu_times.append((time.process_time() - cpu_start) * 1000)
    # before the profiled step, which keeps its own records
    peak_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    # the CPU profiler's shares mean nothing for kernels queued on a GPU
    vit = spec.get('family') == 'vit' and not cuda
    share = attention_share(step, 1 + (cfg['imageSize'] // spec['patchSize']) ** 2, spec['dim'] // spec['heads']) if vit else None
    median_ms = statistics.median(times)
    median_cpu_ms = statistics.median(cpu_times)
    step_gflop = flops.step_flops(step) / 1e9
    print(json.dumps({
        'framework': 'pytorch',
        'version': torch.__version__,
        'threads': torch.get_num_threads(),
        'method': cfg['method'],
        'backbone': cfg['backbone'],
        'imageSize': cfg['imageSize'],
        'channels': cfg['channels'],
        'batchSize': n,
        'views': meta['views'],
        'steps': args.steps,
        'medianStepMs': round(median_ms, 1),
        # CPU time of all threads: with 2 threads this is up to twice the wall time
        'medianStepCpuMs': round(median_cpu_ms, 1),
        'imagesPerSecond': round(n / (median_ms / 1000), 1),
        'imagesPerCpuSecond': round(n / (median_cpu_ms / 1000), 1),
        'loadAverage': round(os.getloadavg()[0], 2),
        'peakRssMB': peak_rss_mb,
        # the same work divides the engine's step time in bench/compare.ts
        'stepGflop': round(step_gflop, 3),
        'gflopsPerSecond': round(step_gflop / (median_ms / 1000), 1),
        'convPeakGflops': flops.conv_peak_gflops(args.device),
        'blas': blas_library(),
        **({'device': torch.cuda.get_device_name(), 'peakDeviceMB': round(torch.cuda.max_memory_allocated() / 2**20, 1)} if cuda else {}),
        **({'attentionShare': share} if vit else {}),
        'firstLoss': losses[0],
        'lastLoss': losses[-1],
    }))


if __name__ == '__main__':
    main()
