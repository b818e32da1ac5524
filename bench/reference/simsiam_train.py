"""PyTorch reference of the service's SimSiam recipe, trained and probed the way the service does it,
so the service's accuracy is compared with an independent implementation, not only with itself.

Input: raw uint8 images decoded by the service's own decoder (data.py), so both sides see identical
pixels; the service's linear probe and kNN (probe.py, data.py). Its own model code (simsiam_model.py)
and flags predate method_train.py, which trains any method from a job config. Prints one JSON line
{top1, trainTop1, weightDecay, knnTop1, epochs, wallSeconds, imagesPerSecond, ...}.

  /usr/bin/python3 bench/reference/simsiam_train.py --pretrain DIR/pretrain --train DIR/train \
      --test DIR/test --image-size 28 --epochs 20 [--max-seconds 5400] [--spec '{...}']
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import probe  # noqa: E402
from data import AUGMENT_DEFAULTS, features, knn_top1, load, view  # noqa: E402
from simsiam_model import RESNET_TINY, collapse_std, predictor, projector, resnet, simsiam_loss  # noqa: E402


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
    augment = {**AUGMENT_DEFAULTS, 'cropScaleMin': args.crop_scale_min}
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
            x1 = view(batch, args.image_size, gen, augment)
            x2 = view(batch, args.image_size, gen, augment)
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
    backbone.eval()
    f_train, f_test = features(backbone, train, args.image_size), features(backbone, test, args.image_size)
    knn = knn_top1(f_train, train_labels, f_test, test_labels, classes)
    linear = probe.regularised_probe(f_train, train_labels, f_test, test_labels, classes, args.seed)
    print(json.dumps({
        'top1': round(linear['top1'], 4),
        'trainTop1': round(linear['trainTop1'], 4),
        'weightDecay': linear['weightDecay'],
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
