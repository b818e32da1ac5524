"""MoCo v3 (Chen, Xie & He 2021) written from the paper and its official builder over nets.py: query
encoder backbone + projector (fc-BN-ReLU per hidden layer, then fc and a BN without scale and shift; no
fc has a bias), predictor fc-BN-ReLU-fc (with that output BN for a ViT only), and the momentum encoder
'key.'. Each step first moves the momentum encoder's parameters (not its BN statistics) with m rising
from keyMomentum to 1 on a half cosine over the run's steps, then makes the keys; the loss is
ctr(q1, k2) + ctr(q2, k1), ctr the InfoNCE of each query against the batch's keys times 2 tau."""
import math

import torch
import torch.nn.functional as F

from nets import backbone, mlp, scoped


def encode(params, cfg, spec, x, root=''):
    h = backbone(scoped(params, root + 'backbone.'), spec, x, True)
    return mlp(scoped(params, root + 'projector.'), h, cfg['projectorLayers'] - 1, True, True, True)


def predict(params, cfg, z):
    return mlp(scoped(params, 'predictor.'), z, 1, True, cfg['backbone'].startswith('vit'), True)


def ctr(q, k, t):
    q, k = F.normalize(q, dim=1), F.normalize(k, dim=1)
    return F.cross_entropy(q @ k.T / t, torch.arange(q.shape[0])) * (2 * t)


def momentum(cfg, ctx):
    total = cfg['epochs'] * ctx['stepsPerEpoch']
    return 1 - 0.5 * (1 + math.cos(math.pi * ctx['step'] / total)) * (1 - cfg['keyMomentum'])


def loss(params, cfg, spec, views, state, ctx):
    x1, x2 = views
    m = momentum(cfg, ctx)
    with torch.no_grad():
        for name, p in params.items():
            if name.startswith(('backbone.', 'projector.')) and p.requires_grad:
                params['key.' + name].mul_(m).add_(p.detach(), alpha=1 - m)
        k1, k2 = encode(params, cfg, spec, x1, 'key.'), encode(params, cfg, spec, x2, 'key.')
    z1 = encode(params, cfg, spec, x1)
    ctx['monitor'] = z1.detach()
    q1 = predict(params, cfg, z1)
    q2 = predict(params, cfg, encode(params, cfg, spec, x2))
    t = cfg['temperature']
    return ctr(q1, k2, t) + ctr(q2, k1, t)


def after_step(params, cfg, state, ctx):
    pass


def lr_group(cfg, name):
    return 'scheduled'
