"""SimCLR (Chen et al. 2020) written from the paper over nets.py: z = g(f(x)) for both views in one
batch (BN over all 2N, as the official code), g = fc-BN-ReLU-fc-BN, NT-Xent with temperature."""
import torch
import torch.nn.functional as F

from nets import backbone, mlp, scoped


def nt_xent(z1, z2, t):
    z = F.normalize(torch.cat([z1, z2]), dim=1, eps=1e-8)
    n = z1.shape[0]
    sim = z @ z.T / t
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool), float('-inf'))
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim, target)


def loss(params, cfg, spec, views, state, ctx):
    x = torch.cat(views)
    h = backbone(scoped(params, 'backbone.'), spec, x, True)
    z = mlp(scoped(params, 'projector.'), h, 1, True, True, True)
    z1, z2 = z.chunk(2)
    ctx['monitor'] = z1.detach()
    return nt_xent(z1, z2, cfg['temperature'])


def after_step(params, cfg, state, ctx):
    pass


def lr_group(cfg, name):
    return 'scheduled'
