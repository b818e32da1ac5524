"""MoCo v2 (He et al. 2020, Chen et al. 2020) written from the papers over nets.py: query encoder
backbone + fc-ReLU-fc head, key encoder its momentum copy ('key.'), a queue of K normalised keys
('queue.keys', write position 'queue.ptr'), InfoNCE with the positive in column 0. The key encoder's
BN runs over disjoint sub-batches of a shuffled batch (the engine's one-device shuffle-BN); the
shuffle is the engine's PRNG seeded from the config seed and the step."""
import torch
import torch.nn.functional as F

from nets import backbone, mlp, scoped
from prng import Prng


def encode(params, spec, x, root=''):
    h = backbone(scoped(params, root + 'backbone.'), spec, x, True)
    return mlp(scoped(params, root + 'projector.'), h, 1, False, False, True)


def shuffle(n, rng):
    perm = list(range(n))
    for i in range(n - 1, 0, -1):
        j = rng.int(0, i)
        perm[i], perm[j] = perm[j], perm[i]
    return perm


def keys(params, cfg, spec, x, rng):
    n = x.shape[0]
    perm = shuffle(n, rng)
    splits = max(1, min(cfg['keyBnSplits'], n // 2))
    out = torch.empty(n, cfg['projectorDim'])
    for g in range(splits):
        rows = perm[g * n // splits:(g + 1) * n // splits]
        out[rows] = encode(params, spec, x[rows], 'key.')
    return F.normalize(out, dim=1)


def init(params, cfg):
    """The engine's queue starts as random l2-normalised keys."""
    params['queue.keys'].copy_(F.normalize(params['queue.keys'], dim=1))


def info_nce(q, k, queue, t):
    q = F.normalize(q, dim=1)
    logits = torch.cat([(q * k).sum(1, keepdim=True), q @ queue.T], dim=1) / t
    return F.cross_entropy(logits, torch.zeros(q.shape[0], dtype=torch.long))


def loss(params, cfg, spec, views, state, ctx):
    x1, x2 = views
    seed = (cfg['seed'] ^ (((ctx['step'] + 1) * 0x9e3779b1) & 0xffffffff)) & 0xffffffff
    rng = Prng(seed)
    with torch.no_grad():
        ks = [keys(params, cfg, spec, x, rng) for x in views] if cfg['symmetric'] else [keys(params, cfg, spec, x2, rng)]
    ctx['keys'] = torch.cat(ks)
    queue, t = params['queue.keys'], cfg['temperature']
    q1 = encode(params, spec, x1)
    ctx['monitor'] = q1.detach()
    if not cfg['symmetric']:
        return info_nce(q1, ks[0], queue, t)
    return info_nce(q1, ks[1], queue, t) + info_nce(encode(params, spec, x2), ks[0], queue, t)


def after_step(params, cfg, state, ctx):
    m = cfg['keyMomentum']
    for name in list(params):
        if name.startswith(('backbone.', 'projector.')):
            params['key.' + name].mul_(m).add_(params[name].detach(), alpha=1 - m)
    queue, ptr = params['queue.keys'], int(params['queue.ptr'][0])
    k = ctx['keys']
    queue[(ptr + torch.arange(k.shape[0])) % queue.shape[0]] = k
    params['queue.ptr'][0] = (ptr + k.shape[0]) % queue.shape[0]


def lr_group(cfg, name):
    return 'scheduled'
