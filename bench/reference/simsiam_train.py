"""PyTorch reference of the service's SimSiam recipe, trained and probed the way the service does it,
so the service's accuracy is compared with an independent implementation, not only with itself.

Input: raw uint8 images decoded by the service's own decoder (bench/fashion-mnist/pixels.ts writes
them: <name>.u8 = [N, S, S] at the training decode size, <name>.labels.u8 = [N]), so both sides see
identical pixels. Prints one JSON line {top1, knnTop1, epochs, wallSeconds, imagesPerSecond, ...}.

  /usr/bin/python3 bench/reference/simsiam_train.py --pretrain DIR/pretrain --train DIR/train \
      --test DIR/test --image-size 28 --epochs 20 [--max-seconds 5400] [--spec '{...}']
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simsiam_model import RESNET_TINY, collapse_std, predictor, projector, resnet, simsiam_loss  # noqa: E402

# augment.ts NORMALIZATION for one channel (luma-weighted ImageNet statistics)
MEAN, STD = 0.449, 0.226
# linearProbe.ts PROBE_RECIPE and runEvaluation.ts KNN_RECIPE
PROBE = {'epochs': 100, 'batch_size': 256, 'lr': 0.1, 'momentum': 0.9}
KNN = {'k': 200, 'temperature': 0.1}


def load(prefix):
    """uint8 images [N, S, S] as float [N, 1, S, S] in [0, 1], and labels (None when absent)."""
    with open(f'{prefix}.json') as f:
        meta = json.load(f)
    raw = np.fromfile(f'{prefix}.u8', dtype=np.uint8).reshape(meta['count'], meta['size'], meta['size'], meta['channels'])
    images = torch.from_numpy(raw).permute(0, 3, 1, 2).float().div_(255)
    labels = torch.from_numpy(np.fromfile(f'{prefix}.labels.u8', dtype=np.uint8).astype(np.int64)) if meta.get('labeled') else None
    return images, labels


def crop_grids(n, side, out, scale, gen):
    """augment.ts sampleCrop + cropBox + flip as affine sampling grids: torchvision's RandomResizedCrop
    parameters (10 tries, then a centre crop), sampled at half-pixel centres like cropAndResize."""
    theta = torch.zeros(n, 2, 3)
    log_ratio = (math.log(3 / 4), math.log(4 / 3))
    for i in range(n):
        ch = cw = side
        top = left = 0
        for _ in range(10):
            area = side * side * (scale[0] + (scale[1] - scale[0]) * torch.rand(1, generator=gen).item())
            ratio = math.exp(log_ratio[0] + (log_ratio[1] - log_ratio[0]) * torch.rand(1, generator=gen).item())
            w, h = round(math.sqrt(area * ratio)), round(math.sqrt(area / ratio))
            if 0 < w <= side and 0 < h <= side:
                top = int(torch.randint(0, side - h + 1, (1,), generator=gen))
                left = int(torch.randint(0, side - w + 1, (1,), generator=gen))
                ch, cw = h, w
                break
        flip = -1.0 if torch.rand(1, generator=gen).item() < 0.5 else 1.0
        # normalised coordinates (align_corners=False): centre and half-extent of the crop
        theta[i, 0, 0] = flip * cw / side
        theta[i, 0, 2] = (2 * left + cw) / side - 1
        theta[i, 1, 1] = ch / side
        theta[i, 1, 2] = (2 * top + ch) / side - 1
    return F.affine_grid(theta, (n, 1, out, out), align_corners=False)


def view(images, out, gen, scale=(0.2, 1.0), jitter_p=0.8, amount=0.4):
    """augment.ts for one channel: crop + flip, brightness and contrast jitter (p = 0.8, clamped after
    each like torchvision; saturation, hue and grayscale do not apply), blur off below 64 px, normalise."""
    n = images.shape[0]
    x = F.grid_sample(images, crop_grids(n, images.shape[-1], out, scale, gen), mode='bilinear', padding_mode='border', align_corners=False)
    on = (torch.rand(n, generator=gen) < jitter_p).float().view(n, 1, 1, 1)
    factor = lambda: 1 + on * (torch.rand(n, 1, 1, 1, generator=gen) * 2 - 1) * amount  # noqa: E731
    x = (x * factor()).clamp_(0, 1)
    c = factor()
    x = (x * c + x.mean(dim=(1, 2, 3), keepdim=True) * (1 - c)).clamp_(0, 1)
    return (x - MEAN) / STD


def eval_view(images, out):
    """features.ts evalView: the central 1/1.15 of the decoded image, resized to the training size."""
    side = images.shape[-1]
    crop = max(out, round(side / 1.15)) if side > out else side
    start = (side - crop) // 2
    x = images[:, :, start:start + crop, start:start + crop]
    if crop != out:
        x = F.interpolate(x, size=(out, out), mode='bilinear', align_corners=False)
    return (x - MEAN) / STD


@torch.no_grad()
def features(backbone, images, out, batch=512):
    backbone.eval()
    return torch.cat([backbone(eval_view(images[i:i + batch], out)) for i in range(0, len(images), batch)])


def knn_top1(bank, bank_labels, queries, query_labels, classes):
    """monitors.ts knnPredict: cosine, top-k neighbours vote with weight exp(sim / T)."""
    bank, queries = F.normalize(bank, dim=1), F.normalize(queries, dim=1)
    k = min(KNN['k'], len(bank))
    hits = 0
    for i in range(0, len(queries), 256):
        sims, idx = (queries[i:i + 256] @ bank.T).topk(k, dim=1)
        votes = torch.zeros(len(sims), classes).scatter_add_(1, bank_labels[idx], (sims / KNN['temperature']).exp())
        hits += (votes.argmax(1) == query_labels[i:i + 256]).sum().item()
    return hits / len(queries)


def linear_probe(train, train_labels, test, test_labels, classes, seed):
    """linearProbe.ts: standardise with the train statistics, zero-initialised softmax regression,
    SGD momentum 0.9, lr 0.1 cosine to 0 over all steps, batch 256, 100 epochs, no weight decay."""
    mean, std = train.mean(0), train.std(0, unbiased=False)
    std[std < 1e-6] = 1
    train, test = (train - mean) / std, (test - mean) / std
    model = nn.Linear(train.shape[1], classes)
    nn.init.zeros_(model.weight)
    nn.init.zeros_(model.bias)
    opt = torch.optim.SGD(model.parameters(), lr=PROBE['lr'], momentum=PROBE['momentum'])
    steps = math.ceil(len(train) / PROBE['batch_size']) * PROBE['epochs']
    gen = torch.Generator().manual_seed(seed)
    step = 0
    for _ in range(PROBE['epochs']):
        for idx in torch.randperm(len(train), generator=gen).split(PROBE['batch_size']):
            for group in opt.param_groups:
                group['lr'] = 0.5 * PROBE['lr'] * (1 + math.cos(math.pi * step / steps))
            loss = F.cross_entropy(model(train[idx]), train_labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
    with torch.no_grad():
        return (model(test).argmax(1) == test_labels).float().mean().item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--pretrain', required=True, help='path prefix of the unlabeled pretraining pixels')
    ap.add_argument('--train', required=True, help='path prefix of the labeled probe-train pixels')
    ap.add_argument('--test', required=True, help='path prefix of the labeled probe-test pixels')
    ap.add_argument('--spec', default=json.dumps(RESNET_TINY), help='backbone spec (src/engine/backbones/specs.ts) as JSON')
    ap.add_argument('--image-size', type=int, default=28)
    ap.add_argument('--epochs', type=int, default=20)
    ap.add_argument('--max-seconds', type=float, default=0, help='wall-clock budget of training (0 = epochs only)')
    ap.add_argument('--batch-size', type=int, default=128)
    ap.add_argument('--base-lr', type=float, default=0.05)
    ap.add_argument('--weight-decay', type=float, default=1e-4)
    ap.add_argument('--projector-dim', type=int, default=2048)
    ap.add_argument('--projector-layers', type=int, default=3)
    ap.add_argument('--no-projector-output-bn', action='store_true', help='paper table 4: no BN after the projector output fc')
    ap.add_argument('--crop-scale-min', type=float, default=0.2)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--no-stop-gradient', action='store_true', help='the collapse ablation: gradients flow into both targets')
    ap.add_argument('--no-predictor', action='store_true', help='the other collapse ablation: p = z')
    ap.add_argument('--threads', type=int, default=2)
    args = ap.parse_args()

    # Debian's torch starts with one thread
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    pretrain, _ = load(args.pretrain)
    backbone, feature_dim = resnet(json.loads(args.spec), pretrain.shape[1])
    encoder = nn.Sequential(backbone, projector(feature_dim, args.projector_dim, args.projector_layers, not args.no_projector_output_bn))
    head = nn.Identity() if args.no_predictor else predictor(args.projector_dim, max(4, args.projector_dim // 4))
    # lr = baseLr * batch / 256, cosine per epoch; the predictor keeps the initial lr (fixPredictorLr)
    init_lr = args.base_lr * args.batch_size / 256
    opt = torch.optim.SGD([{'params': encoder.parameters(), 'fix_lr': False}, {'params': head.parameters(), 'fix_lr': True}],
                          lr=init_lr, momentum=0.9, weight_decay=args.weight_decay)
    steps_per_epoch = len(pretrain) // args.batch_size
    started = time.perf_counter()
    trained_images, epochs_done, last = 0, 0, {}
    for epoch in range(args.epochs):
        if args.max_seconds and time.perf_counter() - started >= args.max_seconds:
            break
        for group in opt.param_groups:
            group['lr'] = init_lr if group['fix_lr'] else init_lr * 0.5 * (1 + math.cos(math.pi * epoch / args.epochs))
        encoder.train()
        head.train()
        order = torch.randperm(len(pretrain), generator=gen)
        for s in range(steps_per_epoch):
            batch = pretrain[order[s * args.batch_size:(s + 1) * args.batch_size]]
            x1 = view(batch, args.image_size, gen, (args.crop_scale_min, 1.0))
            x2 = view(batch, args.image_size, gen, (args.crop_scale_min, 1.0))
            z1, z2 = encoder(x1), encoder(x2)
            p1, p2 = head(z1), head(z2)
            loss = simsiam_loss(z1, z2, p1, p2, stop_gradient=not args.no_stop_gradient)
            opt.zero_grad()
            loss.backward()
            opt.step()
            trained_images += len(batch)
        epochs_done = epoch + 1
        last = {'loss': loss.item(), 'zStd': collapse_std(z1.detach()).item(), 'pStd': collapse_std(p1.detach()).item()}
        print(json.dumps({'epoch': epochs_done, **last, 'seconds': round(time.perf_counter() - started, 1)}), file=sys.stderr, flush=True)
    wall = time.perf_counter() - started

    train, train_labels = load(args.train)
    test, test_labels = load(args.test)
    classes = int(max(train_labels.max(), test_labels.max())) + 1
    f_train, f_test = features(backbone, train, args.image_size), features(backbone, test, args.image_size)
    knn = knn_top1(f_train, train_labels, f_test, test_labels, classes)
    top1 = linear_probe(f_train, train_labels, f_test, test_labels, classes, args.seed)
    print(json.dumps({
        'top1': round(top1, 4),
        'knnTop1': round(knn, 4),
        'epochs': epochs_done,
        'wallSeconds': round(wall, 1),
        'imagesPerSecond': round(trained_images / wall, 1) if wall > 0 else None,
        'finalLoss': round(last.get('loss', float('nan')), 4),
        'collapseStd': round(last.get('zStd', float('nan')), 4),
        'threads': torch.get_num_threads(),
        'torch': torch.__version__,
    }))


if __name__ == '__main__':
    main()
