"""PyTorch reference of a whole service job, any method: pretraining with the job's recipe, then the
service's probes, so each method's accuracy is compared with an independent implementation.

Recipe: the job config as the service resolves it (every default filled), from trainingSetup.ts, with
the backbone spec, the views the method draws and a manifest of the method's parameters. The step is
the one the reference checks hold bit-close to the engine (training_step.py, methods/, nets.py): the
config's optimizer over the method's lr groups, the method's per-step schedules (BYOL's tau and MoCo
v3's momentum cosines, SwAV's prototype freeze and queue start, MoCo v2's queue). The lr follows
schedule.ts: baseLr * batchSize / 256, linear warm-up per step, then a cosine per epoch; a 'fixed'
group (SimSiam's fixPredictorLr) keeps the initial lr. Epochs of floor(N / batch) shuffled batches.

Init: independent of the engine's weights. The methods are written over the engine's parameter names,
so the parameters are drawn by PyTorch's generator under those names and shapes, each from the
distribution the engine's layer draws it from (the manifest); target and key encoders and snapshots
start as copies of the online networks as in the engine, and a method may finish its own state
(`init`: MoCo v2's unit-norm queue).

Data: pixels decoded by the service's decoder (data.py), augmented as the engine does for one channel.
Probes: the service's (probe.py): on the backbone's features of the evaluation view, with a seeded
subset of `--train-labels` train rows (split.ts subsetIndices, as the service's `trainLabels`) and with
every train row, both tested on the test rows; kNN as the service (k 200, T 0.1, cosine) with every
train row as the bank. The train rows must be in the service's order for its subset and shuffles to
be the same rows (bench/tables/reference.ts writes them so). Prints one JSON line.

  node --import tsx bench/reference/trainingSetup.ts '{"method":"byol","backbone":"resnet-tiny",
      "imageSize":28,"channels":1,"epochs":1}' --dataset-size N > setup.json
  /usr/bin/python3 bench/reference/method_train.py --setup setup.json --pretrain DIR/pretrain \
      --train DIR/train --test DIR/test [--train-labels 10000] [--probe-seed 0] [--threads 2]
"""
import argparse
import importlib
import json
import math
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
import probe  # noqa: E402
import training_step  # noqa: E402
from nets import backbone, collapse_std, scoped  # noqa: E402


def draw(init, shape, gen):
    """One parameter from the engine's Init: constant, normal(0, std) or uniform(-bound, bound)."""
    if init['kind'] == 'constant':
        return torch.full(shape, float(init['value']))
    if init['kind'] == 'normal':
        return torch.randn(shape, generator=gen) * init['std']
    return (torch.rand(shape, generator=gen) * 2 - 1) * init['bound']


def initial_params(manifest, gen):
    """Every parameter by the engine's name, drawn by `gen`; copies after what they copy."""
    params = {p['name']: draw(p['init'], p['shape'], gen) for p in manifest if 'copyOf' not in p}
    params.update({p['name']: params[p['copyOf']].clone() for p in manifest if 'copyOf' in p})
    for p in manifest:
        params[p['name']].requires_grad_(p['trainable'])
    return {p['name']: params[p['name']] for p in manifest}


def scheduled_lr(cfg, step, steps_per_epoch):
    """schedule.ts scheduledLr."""
    init = cfg['baseLr'] * cfg['batchSize'] / 256
    epoch = step // steps_per_epoch
    if epoch < cfg['warmupEpochs']:
        return init * (step + 1) / (cfg['warmupEpochs'] * steps_per_epoch)
    progress = (epoch - cfg['warmupEpochs']) / max(1, cfg['epochs'] - cfg['warmupEpochs'])
    return init * 0.5 * (1 + math.cos(math.pi * progress))


def pretrain(setup, images, gen, log):
    """Trains the method on `images`; returns (parameters, first loss, last loss, last collapse std)."""
    cfg, spec = setup['config'], setup['spec']
    method = importlib.import_module('methods.' + cfg['method'].replace('-', '_'))
    params = initial_params(setup['params'], gen)
    state = {s['name']: torch.zeros(s['shape']) for s in setup['state']}
    with torch.no_grad():
        getattr(method, 'init', lambda params, cfg: None)(params, cfg)
    trainable = [p['name'] for p in setup['params'] if p['trainable']]
    batch, fixed = cfg['batchSize'], cfg['baseLr'] * cfg['batchSize'] / 256
    steps_per_epoch = len(images) // batch
    if steps_per_epoch < 1:
        raise ValueError(f'{len(images)} images do not fill one batch of {batch}')
    opt = training_step.optimizer(method, cfg, params, trainable, {'scheduled': fixed, 'fixed': fixed})
    frozen_at = getattr(method, 'frozen_at', lambda cfg, step, steps_per_epoch: ())
    losses, monitor, step = [], float('nan'), 0
    for epoch in range(cfg['epochs']):
        order = torch.randperm(len(images), generator=gen)
        for s in range(steps_per_epoch):
            idx = order[s * batch:(s + 1) * batch]
            views = [data.view(images[idx], v['size'], gen, cfg['augment'], v.get('scale')) for v in setup['views'] for _ in range(v['count'])]
            ctx = {'step': step, 'stepsPerEpoch': steps_per_epoch, 'indices': idx.tolist()}
            training_step.set_lrs(opt, {'scheduled': scheduled_lr(cfg, step, steps_per_epoch), 'fixed': fixed})
            loss, _ = training_step.step(method, cfg, spec, params, state, views, ctx, opt, trainable, tuple(frozen_at(cfg, step, steps_per_epoch)))
            losses.append(loss.item())
            monitor = collapse_std(ctx['monitor']).item()
            step += 1
        log({'epoch': epoch + 1, 'loss': losses[-1], 'zStd': monitor})
    return params, losses[0], losses[-1], monitor


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--setup', required=True, help="trainingSetup.ts's JSON (a file, or - for stdin)")
    ap.add_argument('--pretrain', required=True, help='path prefix of the pretraining pixels')
    ap.add_argument('--train', required=True, help='path prefix of the labeled probe-train pixels, in the service order')
    ap.add_argument('--test', required=True, help='path prefix of the labeled probe-test pixels')
    ap.add_argument('--train-labels', type=int, default=10000, help="the few-labels probe's subset size (the service's trainLabels)")
    ap.add_argument('--probe-seed', type=int, default=0, help="the probe request's seed (the service's default is 0)")
    ap.add_argument('--threads', type=int, default=2)
    args = ap.parse_args()

    setup = json.load(sys.stdin if args.setup == '-' else open(args.setup))
    cfg = setup['config']
    # Debian's torch starts with one thread
    torch.set_num_threads(args.threads)
    torch.manual_seed(cfg['seed'])
    gen = torch.Generator().manual_seed(cfg['seed'])
    images, _ = data.load(args.pretrain)
    if setup['datasetSize'] != len(images):
        raise ValueError(f"the setup was made for {setup['datasetSize']} pretraining images, not {len(images)}")

    started = time.perf_counter()
    log = lambda line: print(json.dumps({**line, 'seconds': round(time.perf_counter() - started, 1)}), file=sys.stderr, flush=True)  # noqa: E731
    params, first_loss, last_loss, z_std = pretrain(setup, images, gen, log)
    wall = time.perf_counter() - started

    train, train_labels = data.load(args.train)
    test, test_labels = data.load(args.test)
    classes = int(max(train_labels.max(), test_labels.max())) + 1
    net = scoped(params, 'backbone.')
    embed = lambda x: backbone(net, setup['spec'], x, False)  # noqa: E731
    f_train, f_test = data.features(embed, train, cfg['imageSize']), data.features(embed, test, cfg['imageSize'])
    few = torch.tensor(probe.subset_indices(len(train), args.train_labels, args.probe_seed), dtype=torch.long)
    probe_few = probe.regularised_probe(f_train[few], train_labels[few], f_test, test_labels, classes, args.probe_seed)
    log({'probe': 'few labels', 'top1': probe_few['top1'], 'weightDecay': probe_few['weightDecay']})
    probe_all = probe.regularised_probe(f_train, train_labels, f_test, test_labels, classes, args.probe_seed)
    round4 = lambda x: round(x, 4) if math.isfinite(x) else None  # noqa: E731
    trained_images = cfg['epochs'] * (len(images) // cfg['batchSize']) * cfg['batchSize']
    print(json.dumps({
        'method': cfg['method'],
        'backbone': cfg['backbone'],
        'seed': cfg['seed'],
        'top1_10k': round4(probe_few['top1']),
        'trainTop1_10k': round4(probe_few['trainTop1']),
        'top1_60k': round4(probe_all['top1']),
        'trainTop1_60k': round4(probe_all['trainTop1']),
        'knnTop1': round4(data.knn_top1(f_train, train_labels, f_test, test_labels, classes)),
        'knnTop1_10k': round4(data.knn_top1(f_train[few], train_labels[few], f_test, test_labels, classes)),
        'collapseStd': round4(z_std),
        'weightDecay_10k': probe_few['weightDecay'],
        'weightDecay_60k': probe_all['weightDecay'],
        'trainLabels': len(few),
        'firstLoss': round4(first_loss),
        'finalLoss': round4(last_loss),
        'epochs': cfg['epochs'],
        'wallSeconds': round(wall, 1),
        'imagesPerSecond': round(trained_images / wall, 1) if wall > 0 else None,
        'threads': torch.get_num_threads(),
        'torch': torch.__version__,
    }))


if __name__ == '__main__':
    main()
