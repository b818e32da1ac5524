"""PyTorch reference for bench/train.ts: one SimSiam training step (both views, forward, backward,
SGD with momentum and weight decay) on the same backbone (a --spec from src/engine/backbones/specs.ts,
resnet-tiny by default; a ViT spec carries the job's patchSize, posEmbed and pool too) and heads,
timed on random data. For a ViT it also profiles one step for the share of CPU time in attention.
Prints one JSON line. Run with Debian's torch: /usr/bin/python3 bench/reference/simsiam_step.py
"""
import argparse
import json
import os
import resource
import statistics
import time

import torch
import torch.nn as nn

from simsiam_model import RESNET_TINY, predictor, projector, resnet, simsiam_loss
from vit_module import Vit


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
    ap.add_argument('--backbone', default='resnet-tiny', help='name reported with the figures')
    ap.add_argument('--spec', default=json.dumps(RESNET_TINY), help='backbone spec (src/engine/backbones/specs.ts) as JSON')
    ap.add_argument('--image-size', type=int, default=28)
    ap.add_argument('--channels', type=int, default=1)
    ap.add_argument('--batch-size', type=int, default=128)
    ap.add_argument('--steps', type=int, default=20)
    ap.add_argument('--warmup', type=int, default=3)
    ap.add_argument('--projector-dim', type=int, default=2048)
    ap.add_argument('--predictor-hidden-dim', type=int, default=512)
    ap.add_argument('--projector-layers', type=int, default=3)
    ap.add_argument('--threads', type=int, default=2)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    spec = json.loads(args.spec)
    vit = spec.get('family') == 'vit'
    backbone, features = (Vit(spec, args.channels, args.image_size), spec['dim']) if vit else resnet(spec, args.channels)
    encoder = nn.Sequential(backbone, projector(features, args.projector_dim, args.projector_layers))
    head = predictor(args.projector_dim, args.predictor_hidden_dim)
    lr = 0.05 * args.batch_size / 256
    optimizer = torch.optim.SGD([{'params': encoder.parameters()}, {'params': head.parameters()}], lr=lr, momentum=0.9, weight_decay=1e-4)
    shape = (args.batch_size, args.channels, args.image_size, args.image_size)
    x1, x2 = torch.randn(shape), torch.randn(shape)

    def step():
        z1, z2 = encoder(x1), encoder(x2)
        p1, p2 = head(z1), head(z2)
        loss = simsiam_loss(z1, z2, p1, p2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    times, cpu_times = [], []
    for i in range(args.warmup + args.steps):
        start, cpu_start = time.perf_counter(), time.process_time()
        step()
        if i >= args.warmup:
            times.append((time.perf_counter() - start) * 1000)
            cpu_times.append((time.process_time() - cpu_start) * 1000)
    # before the profiled step, which keeps its own records
    peak_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    share = attention_share(step, 1 + (args.image_size // spec['patchSize']) ** 2, spec['dim'] // spec['heads']) if vit else None
    median_ms = statistics.median(times)
    median_cpu_ms = statistics.median(cpu_times)
    print(json.dumps({
        'framework': 'pytorch',
        'version': torch.__version__,
        'threads': torch.get_num_threads(),
        'backbone': args.backbone,
        'imageSize': args.image_size,
        'channels': args.channels,
        'batchSize': args.batch_size,
        'steps': args.steps,
        'medianStepMs': round(median_ms, 1),
        # CPU time of all threads: with 2 threads this is up to twice the wall time
        'medianStepCpuMs': round(median_cpu_ms, 1),
        'imagesPerSecond': round(args.batch_size / (median_ms / 1000), 1),
        'imagesPerCpuSecond': round(args.batch_size / (median_cpu_ms / 1000), 1),
        'loadAverage': round(os.getloadavg()[0], 2),
        'peakRssMB': peak_rss_mb,
        **({'attentionShare': share} if vit else {}),
    }))


if __name__ == '__main__':
    main()
