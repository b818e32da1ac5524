"""The service's linear probe (src/probe/linearProbe.ts regularisedProbe) in PyTorch: the same
standardisation, zero-initialised softmax regression, SGD momentum with the weight decay added to the
velocity (not the bias), per-step cosine lr, and the same seeded draws from the engine's PRNG (the
validation split, every epoch's shuffle and the label-budget subset of src/probe/split.ts), in float64
as the service computes. On the same features it makes the same choices as the service."""
import math

import torch
import torch.nn.functional as F

from prng import Prng

# linearProbe.ts PROBE_RECIPE
RECIPE = {'epochs': 100, 'batch_size': 256, 'lr': 0.1, 'momentum': 0.9,
          'weight_decay_grid': (0, 1e-4, 1e-3, 1e-2, 3e-2, 1e-1), 'validation_fraction': 0.2}


def shuffle_in_place(items, rng):
    """split.ts shuffleInPlace: Fisher-Yates from the top."""
    for i in range(len(items) - 1, 0, -1):
        j = math.floor(rng.next() * (i + 1))
        items[i], items[j] = items[j], items[i]
    return items


def split_indices(count, fraction, seed):
    """split.ts splitIndices: a seeded `fraction` of 0..count-1 and the rest, each ascending."""
    order = shuffle_in_place(list(range(count)), Prng(seed))
    cut = math.floor(count * fraction + 0.5)  # Math.round
    return sorted(order[:cut]), sorted(order[cut:])


def subset_indices(count, take, seed):
    """split.ts subsetIndices: the service's label budget (`trainLabels`) over its train rows."""
    return list(range(count)) if take >= count else split_indices(count, take / count, seed)[0]


def standardise(train, *others):
    """linearProbe.ts standardise: the train rows' mean and population std (std < 1e-6 -> 1)."""
    mean, std = train.mean(0), train.std(0, unbiased=False)
    std[std < 1e-6] = 1
    # the service writes the standardised values back into float32 arrays
    return [((m - mean) / std).float().double() for m in (train, *others)]


def top1(w, b, x, labels):
    return (x @ w + b).argmax(1).eq(labels).double().mean().item() if len(x) else 0.0


def linear_probe(train, train_labels, test, test_labels, classes, seed, weight_decay):
    """linearProbe.ts linearProbe on standardised float64 features: (test top-1, train top-1)."""
    n = len(train)
    w = torch.zeros(train.shape[1], classes, dtype=torch.float64)
    b = torch.zeros(classes, dtype=torch.float64)
    vw, vb = torch.zeros_like(w), torch.zeros_like(b)
    onehot = F.one_hot(train_labels, classes).double()
    rng, order = Prng(seed), list(range(n))
    total = math.ceil(n / RECIPE['batch_size']) * RECIPE['epochs']
    step = 0
    for _ in range(RECIPE['epochs']):
        rows = torch.tensor(shuffle_in_place(order, rng))
        for idx in rows.split(RECIPE['batch_size']):
            x = train[idx]
            g = ((x @ w + b).softmax(1) - onehot[idx]) / len(idx)
            lr = 0.5 * RECIPE['lr'] * (1 + math.cos(math.pi * step / total))
            vw.mul_(RECIPE['momentum']).add_(x.T @ g).add_(w, alpha=weight_decay)
            vb.mul_(RECIPE['momentum']).add_(g.sum(0))
            w.sub_(vw, alpha=lr)
            b.sub_(vb, alpha=lr)
            step += 1
    return top1(w, b, test, test_labels), top1(w, b, train, train_labels)


def regularised_probe(train, train_labels, test, test_labels, classes, seed):
    """linearProbe.ts regularisedProbe: standardise, choose the weight decay by validation top-1 on a
    seeded split of the train rows (ties to the stronger), retrain on every train row, test.
    Returns {top1, trainTop1, weightDecay, validation}."""
    train, test = standardise(train.double(), test.double())
    fit, val = split_indices(len(train), 1 - RECIPE['validation_fraction'], seed)
    fit, val = torch.tensor(fit, dtype=torch.long), torch.tensor(val, dtype=torch.long)
    validation = []
    for wd in RECIPE['weight_decay_grid']:
        score, _ = linear_probe(train[fit], train_labels[fit], train[val], train_labels[val], classes, seed, wd)
        validation.append({'weightDecay': wd, 'top1': score})
    best = validation[0]
    for v in validation[1:]:
        best = v if v['top1'] >= best['top1'] else best
    test_top1, train_top1 = linear_probe(train, train_labels, test, test_labels, classes, seed, best['weightDecay'])
    return {'top1': test_top1, 'trainTop1': train_top1, 'weightDecay': best['weightDecay'], 'validation': validation}
