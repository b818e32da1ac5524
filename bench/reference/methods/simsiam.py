"""SimSiam (Chen & He 2021) written from the paper, with its ablations and the hypothesis experiments,
over nets.py. `loss(params, cfg, views, state, ctx)` returns the loss; `after_step` the state updates."""
import torch
import torch.nn.functional as F

from nets import backbone, mlp, scoped


def D(p, z, kind):
    if kind == 'cross-entropy':
        return -(F.softmax(z, dim=1) * F.log_softmax(p, dim=1)).sum(dim=1).mean()
    return -F.cosine_similarity(p, z, dim=1, eps=1e-8).mean()


def bn_flags(cfg):
    bn = cfg['bn']
    return {'hidden': bn != 'none', 'proj_out': bn in ('default', 'all'), 'pred_out': bn == 'all'}


def encode(params, cfg, spec, x, root=''):
    f = backbone(scoped(params, f'{root}backbone.'), spec, x, True)
    b = bn_flags(cfg)
    return mlp(scoped(params, f'{root}projector.'), f, cfg['projectorLayers'] - 1, b['hidden'], b['proj_out'], True)


def predict(params, cfg, z):
    if cfg['predictor'] in ('none', 'moving-average'):
        return z
    b = bn_flags(cfg)
    return mlp(scoped(params, 'predictor.'), z, 1, b['hidden'], b['pred_out'], True)


def copy_online_to_snapshot(params):
    with torch.no_grad():
        for k in list(params):
            if k.startswith('backbone.') or k.startswith('projector.'):
                params['snapshot.' + k].copy_(params[k])


def loss(params, cfg, spec, views, state, ctx):
    x1, x2 = views
    every = cfg['alternation']['every']
    snapshot = every != 1
    if snapshot:
        k = ctx['stepsPerEpoch'] if every == 'epoch' else every
        if ctx['step'] % k == 0:
            copy_online_to_snapshot(params)
        with torch.no_grad():
            t1, t2 = encode(params, cfg, spec, x1, 'snapshot.'), encode(params, cfg, spec, x2, 'snapshot.')
    z1, z2 = encode(params, cfg, spec, x1), encode(params, cfg, spec, x2)
    ctx['monitor'] = z1.detach()
    kind = cfg['loss']
    if cfg['predictor'] == 'moving-average':
        idx = ctx['indices']
        now = (z1 + z2) / 2
        seen = state['memory.seen'][idx].unsqueeze(1)
        target = seen * state['memory.eta'][idx] + (1 - seen) * now.detach()
        ctx['now'] = now.detach()
        out = D(z1, target, kind)
        return (out + D(z2, target, kind)) / 2 if cfg['symmetric'] else out
    p1, p2 = predict(params, cfg, z1), predict(params, cfg, z2)
    if not snapshot:
        t1, t2 = (z1.detach(), z2.detach()) if cfg['stopGradient'] else (z1, z2)
    out = D(p1, t2, kind)
    return (out + D(p2, t1, kind)) / 2 if cfg['symmetric'] else out


def after_step(params, cfg, state, ctx):
    if cfg['predictor'] != 'moving-average':
        return
    m = cfg['movingAverageRate']
    for row, i in enumerate(ctx['indices']):
        keep = m if state['memory.seen'][i] > 0 else 0.0
        state['memory.eta'][i] = keep * state['memory.eta'][i] + (1 - keep) * ctx['now'][row]
        state['memory.seen'][i] = 1.0


def lr_group(cfg, name):
    return 'fixed' if cfg['fixPredictorLr'] and name.startswith('predictor.') else 'scheduled'
