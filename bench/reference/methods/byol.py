"""BYOL (Grill et al. 2020) written from the paper over nets.py: online f, g, q; target f', g' an EMA of
f, g; loss ||q(z1)/|q(z1)| - z'2/|z'2| ||^2 + the swapped term; the EMA rate rises from tau_base to 1
on a cosine over the run's steps."""
import math

import torch
import torch.nn.functional as F

from nets import backbone, mlp, scoped


def project(params, spec, x, root=''):
    h = backbone(scoped(params, f'{root}backbone.'), spec, x, True)
    return mlp(scoped(params, f'{root}projector.'), h, 1, True, False, True)


def regression(p, t):
    return (F.normalize(p, dim=1, eps=1e-8) - F.normalize(t, dim=1, eps=1e-8)).pow(2).sum(dim=1).mean()


def loss(params, cfg, spec, views, state, ctx):
    x1, x2 = views
    with torch.no_grad():
        t1, t2 = project(params, spec, x1, 'target.'), project(params, spec, x2, 'target.')
    q = scoped(params, 'predictor.')
    z1 = project(params, spec, x1)
    ctx['monitor'] = z1.detach()
    p1 = mlp(q, z1, 1, True, False, True)
    p2 = mlp(q, project(params, spec, x2), 1, True, False, True)
    return regression(p1, t2) + regression(p2, t1)


def after_step(params, cfg, state, ctx):
    k, total = ctx['step'], cfg['epochs'] * ctx['stepsPerEpoch']
    tau = 1 - (1 - cfg['tauBase']) * (math.cos(math.pi * k / total) + 1) / 2
    for name in list(params):
        if name.startswith('backbone.') or name.startswith('projector.'):
            target = params['target.' + name]
            target.mul_(tau).add_(params[name].detach(), alpha=1 - tau)


def lr_group(cfg, name):
    return 'scheduled'
