"""One training step of a method in PyTorch, on weights and views handed over by the engine, for the
reference checks in test/reference/. Reads an engine bundle (bundle.py) holding the method's config,
the backbone spec, the lr, every parameter (`param/<name>`), the augmented views (`view/<i>`, NHWC)
the optimizer's state (SGD and LARS `momentum/<name>`; AdamW `adamw.m/<name>`, `adamw.v/<name>` and the
per-parameter update counts `adamw.steps`) and the method's host state (`state/<name>`). Writes a bundle
with the loss, the gradient of every trainable parameter (`grad/<name>`), and every parameter, optimizer
state and host state after one step (gradients clipped first with `gradClip`) and the method's state
updates. Usage: /usr/bin/python3 check_step.py IN OUT
"""
import importlib
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bundle  # noqa: E402
import adamw  # noqa: E402
import lars  # noqa: E402


def main(src, dst):
    torch.set_num_threads(1)
    meta, tensors = bundle.read(src)
    cfg, spec = meta['config'], meta['spec']
    method = importlib.import_module('methods.' + cfg['method'].replace('-', '_'))
    trainable = set(meta['trainable'])
    params = {k[len('param/'):]: v.clone().requires_grad_(k[len('param/'):] in trainable)
              for k, v in tensors.items() if k.startswith('param/')}
    state = {k[len('state/'):]: v.clone() for k, v in tensors.items() if k.startswith('state/')}
    n_views = sum(1 for k in tensors if k.startswith('view/'))
    views = [tensors[f'view/{i}'].permute(0, 3, 1, 2).contiguous() for i in range(n_views)]
    ctx = {'step': meta['step'], 'stepsPerEpoch': meta['stepsPerEpoch'], 'indices': [int(i) for i in meta['indices']]}

    loss = method.loss(params, cfg, spec, views, state, ctx)
    names = [n for n in meta['trainable']]
    frozen = tuple(meta.get('frozen', []))
    grads = torch.autograd.grad(loss, [params[n] for n in names], allow_unused=True)
    out = {'grad/' + n: (g if g is not None else torch.zeros_like(params[n])) for n, g in zip(names, grads)}

    groups = {'scheduled': [], 'fixed': []}
    for n, g in zip(names, grads):
        if g is None or n.startswith(frozen):
            continue
        params[n].grad = g
        groups[method.lr_group(cfg, n)].append(params[n])
    lrs = {'scheduled': meta['lr'], 'fixed': meta['fixedLr']}
    param_groups = [{'params': p, 'lr': lrs[g]} for g, p in groups.items() if p]
    if cfg.get('gradClip') is not None:
        adamw.clip_grad_norm([p for ps in groups.values() for p in ps], cfg['gradClip'])
    if cfg.get('optimizer') == 'adamw':
        optimizer = adamw.AdamW(param_groups, cfg['weightDecay'], [params[n] for n in names if adamw.excluded(n, params[n])])
        out.update(adamw_step(optimizer, params, names, tensors))
    else:
        if cfg.get('optimizer') == 'lars':
            optimizer = lars.LARS(param_groups, cfg['momentum'], cfg['weightDecay'], [params[n] for n in names if lars.excluded(n)])
        else:
            optimizer = torch.optim.SGD(param_groups, lr=meta['lr'], momentum=cfg['momentum'], weight_decay=cfg['weightDecay'])
        out.update(momentum_step(optimizer, params, names, tensors, meta['step']))
    with torch.no_grad():
        method.after_step(params, cfg, state, ctx)
    out.update({'param/' + n: p for n, p in params.items()})
    out.update({'state/' + n: s for n, s in state.items()})
    bundle.write(dst, {'loss': loss.item()}, out)


def momentum_step(optimizer, params, names, tensors, step):
    """An SGD or LARS step from the engine's momentum buffers; the buffers after it."""
    for n in names:
        buf = tensors.get('momentum/' + n)
        if buf is not None and step > 0 and params[n].grad is not None:
            optimizer.state[params[n]]['momentum_buffer'] = buf.clone()
    optimizer.step()
    out = {'momentum/' + n: optimizer.state[params[n]]['momentum_buffer'] for n in names if params[n] in optimizer.state}
    # a parameter the optimizer skipped (frozen at this step) keeps the buffer it had
    out.update({'momentum/' + n: tensors['momentum/' + n] for n in names if 'momentum/' + n not in out and 'momentum/' + n in tensors})
    return out


def adamw_step(optimizer, params, names, tensors):
    """An AdamW step from the engine's moments and update counts; the state after it (a parameter
    the step skipped keeps its own)."""
    steps = tensors['adamw.steps']
    for i, n in enumerate(names):
        if steps[i] > 0:
            optimizer.state[params[n]].update(step=int(steps[i]), exp_avg=tensors['adamw.m/' + n].clone(),
                                              exp_avg_sq=tensors['adamw.v/' + n].clone())
    optimizer.step()
    out, counts = {}, steps.clone()
    for i, n in enumerate(names):
        s = optimizer.state.get(params[n], {})
        counts[i] = s.get('step', int(steps[i]))
        out['adamw.m/' + n] = s.get('exp_avg', tensors['adamw.m/' + n])
        out['adamw.v/' + n] = s.get('exp_avg_sq', tensors['adamw.v/' + n])
    out['adamw.steps'] = counts
    return out


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
