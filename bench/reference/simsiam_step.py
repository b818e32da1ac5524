"""PyTorch reference for bench/train.ts: one SimSiam training step (both views, forward, backward,
SGD with momentum and weight decay) on the same tiny ResNet and heads, timed on random data.
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
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


def tiny_resnet(channels):
    """CIFAR stem (3x3 conv, no max-pool), widths 16/32/64, one basic block per stage."""
    layers = [nn.Conv2d(channels, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True)]
    cin = 16
    for width, stride in ((16, 1), (32, 2), (64, 2)):
        layers.append(BasicBlock(cin, width, stride))
        cin = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    return nn.Sequential(*layers), cin


def projector(features, dim, n_layers):
    """The paper's projection MLP: BN on every layer, no ReLU (and no affine BN) at the output."""
    layers, cin = [], features
    for _ in range(n_layers - 1):
        layers += [nn.Linear(cin, dim, bias=False), nn.BatchNorm1d(dim), nn.ReLU(inplace=True)]
        cin = dim
    layers += [nn.Linear(cin, dim, bias=False), nn.BatchNorm1d(dim, affine=False)]
    return nn.Sequential(*layers)


def predictor(dim, hidden):
    return nn.Sequential(nn.Linear(dim, hidden, bias=False), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True), nn.Linear(hidden, dim))


def main():
    ap = argparse.ArgumentParser()
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
    backbone, features = tiny_resnet(args.channels)
    encoder = nn.Sequential(backbone, projector(features, args.projector_dim, args.projector_layers))
    head = predictor(args.projector_dim, args.predictor_hidden_dim)
    lr = 0.05 * args.batch_size / 256
    optimizer = torch.optim.SGD([{'params': encoder.parameters()}, {'params': head.parameters()}], lr=lr, momentum=0.9, weight_decay=1e-4)
    shape = (args.batch_size, args.channels, args.image_size, args.image_size)
    x1, x2 = torch.randn(shape), torch.randn(shape)

    def step():
        z1, z2 = encoder(x1), encoder(x2)
        p1, p2 = head(z1), head(z2)
        loss = -(F.cosine_similarity(p1, z2.detach()).mean() + F.cosine_similarity(p2, z1.detach()).mean()) / 2
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
    median_ms = statistics.median(times)
    median_cpu_ms = statistics.median(cpu_times)
    print(json.dumps({
        'framework': 'pytorch',
        'version': torch.__version__,
        'threads': torch.get_num_threads(),
        'backbone': 'resnet-tiny',
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
        'peakRssMB': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


if __name__ == '__main__':
    main()
