"""SwAV (Caron et al. 2020) written from the paper over nets.py: prototypes l2-normalised before each
step; codes of the two large crops by Sinkhorn-Knopp (eps, 3 iterations) over the batch and, once it
is full, a queue of past features; every other crop predicts them through softmax(z c / tau); crops
of one resolution share a backbone pass. The queue holds the newest features first."""
import torch
import torch.nn.functional as F

from nets import backbone, mlp, scoped


@torch.no_grad()
def sinkhorn(scores, eps, iters):
    Q = torch.exp(scores / eps).t()  # K x N
    Q /= Q.sum()
    K, N = Q.shape
    for _ in range(iters):
        Q /= Q.sum(dim=1, keepdim=True)
        Q /= K
        Q /= Q.sum(dim=0, keepdim=True)
        Q /= N
    return (Q * N).t()


def embed(params, spec, views):
    feats, i = [], 0
    while i < len(views):
        j = i
        while j < len(views) and views[j].shape[-1] == views[i].shape[-1]:
            j += 1
        feats.append(backbone(scoped(params, 'backbone.'), spec, torch.cat(views[i:j]), True))
        i = j
    z = mlp(scoped(params, 'projector.'), torch.cat(feats), 1, True, False, True)
    return F.normalize(z, dim=1)


def loss(params, cfg, spec, views, state, ctx):
    c = params['prototypes.weight']  # [d, K]
    with torch.no_grad():
        c.copy_(F.normalize(c, dim=0))
    n, crops = views[0].shape[0], len(views)
    z = embed(params, spec, views)
    scores = (z @ c).split(n)
    use_queue = cfg['queueLength'] > 0 and state['queue.filled'][0] == cfg['queueLength']
    ctx['z'] = z.detach()
    ctx['monitor'] = ctx['z'][:n]
    total = 0
    for i in range(2):
        with torch.no_grad():
            s = scores[i].detach()
            if use_queue:
                s = torch.cat([params['queue'][i] @ c, s])
            q = sinkhorn(s, cfg['sinkhornEpsilon'], cfg['sinkhornIterations'])[-n:]
        sub = sum(-(q * F.log_softmax(scores[v] / cfg['temperature'], dim=1)).sum(dim=1).mean() for v in range(crops) if v != i)
        total = total + sub / (crops - 1)
    return total / 2


def after_step(params, cfg, state, ctx):
    L = cfg['queueLength']
    if L == 0 or ctx['step'] // ctx['stepsPerEpoch'] < cfg['queueStartEpoch']:
        return
    n = len(ctx['indices'])
    queue = params['queue']
    for i in range(2):
        queue[i] = torch.cat([ctx['z'][i * n:(i + 1) * n], queue[i]])[:L]
    state['queue.filled'][0] = min(L, state['queue.filled'][0].item() + n)


def frozen_at(cfg, step, steps_per_epoch):
    """Prefixes of the parameters the step leaves alone: the prototypes in the first epochs."""
    return ('prototypes.weight',) if step < cfg['freezePrototypesEpochs'] * steps_per_epoch else ()


def lr_group(cfg, name):
    return 'scheduled'
