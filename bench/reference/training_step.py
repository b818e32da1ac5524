"""One training step of a method over the engine's parameters, shared by the reference checks
(check_step.py) and the step timer (method_step.py). From an engine bundle (referenceInput.ts): the
method's module (methods/), its parameters by the engine's names and its host state; the optimizer
the config names (SGD, LARS or AdamW) over the trainable parameters in the method's lr groups; and the
step: loss, gradients, clipping, the update of every parameter not frozen at this step, then the
method's state updates (EMA and momentum encoders, queues, memory banks)."""
import importlib

import torch

import adamw
import lars


def load(meta, tensors):
    """(method module, parameters with the trainable ones requiring grad, host state): the bundle's
    own tensors, not copies."""
    method = importlib.import_module('methods.' + meta['config']['method'].replace('-', '_'))
    trainable = set(meta['trainable'])
    params = {k[len('param/'):]: v.requires_grad_(k[len('param/'):] in trainable)
              for k, v in tensors.items() if k.startswith('param/')}
    state = {k[len('state/'):]: v for k, v in tensors.items() if k.startswith('state/')}
    return method, params, state


def optimizer(method, cfg, params, trainable, lrs):
    """The config's optimizer over `trainable`, grouped by the method's lr groups (`lrs`: the lr of
    'scheduled' and 'fixed')."""
    groups = {'scheduled': [], 'fixed': []}
    for n in trainable:
        groups[method.lr_group(cfg, n)].append(params[n])
    param_groups = [{'params': p, 'lr': lrs[g], 'group': g} for g, p in groups.items() if p]
    if cfg.get('optimizer') == 'adamw':
        return adamw.AdamW(param_groups, cfg['weightDecay'], [params[n] for n in trainable if adamw.excluded(n, params[n])])
    if cfg.get('optimizer') == 'lars':
        return lars.LARS(param_groups, cfg['momentum'], cfg['weightDecay'], [params[n] for n in trainable if lars.excluded(n)])
    return torch.optim.SGD(param_groups, lr=lrs['scheduled'], momentum=cfg['momentum'], weight_decay=cfg['weightDecay'])


def set_lrs(opt, lrs):
    """The lr of each of the method's groups for the next step (`lrs` as for `optimizer`)."""
    for group in opt.param_groups:
        group['lr'] = lrs[group['group']]


def step(method, cfg, spec, params, state, views, ctx, opt, trainable, frozen):
    """One update; returns the loss and the (unclipped) gradient of every `trainable` parameter, None
    where the loss does not reach it. Parameters under a `frozen` prefix get no update."""
    loss = method.loss(params, cfg, spec, views, state, ctx)
    grads = torch.autograd.grad(loss, [params[n] for n in trainable], allow_unused=True)
    for n, g in zip(trainable, grads):
        params[n].grad = None if n.startswith(frozen) else g
    if cfg.get('gradClip') is not None:
        adamw.clip_grad_norm([params[n] for n in trainable if params[n].grad is not None], cfg['gradClip'])
    opt.step()
    with torch.no_grad():
        method.after_step(params, cfg, state, ctx)
    return loss, grads
