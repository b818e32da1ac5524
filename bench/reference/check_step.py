"""One training step of a method in PyTorch, on weights and views handed over by the engine, for the
reference checks in test/reference/. Reads an engine bundle (bundle.py) holding the method's config,
the backbone spec, the lr, every parameter (`param/<name>`), the augmented views (`view/<i>`, NHWC)
the optimizer's state (SGD and LARS `momentum/<name>`; AdamW `adamw.m/<name>`, `adamw.v/<name>` and the
per-parameter update counts `adamw.steps`) and the method's host state (`state/<name>`). Writes a bundle
with the loss, the gradient of every trainable parameter (`grad/<name>`), and every parameter, optimizer
state and host state after one step (gradients clipped first with `gradClip`) and the method's state
updates. Usage: /usr/bin/python3 check_step.py, then one check per stdin line `IN<tab>OUT`, each answered
`ok` or `failed` (traceback on stderr) on stdout: a test file imports torch once for all its checks.
"""
import os
import sys
import traceback

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bundle  # noqa: E402
import training_step  # noqa: E402


def main(src, dst):
    torch.set_num_threads(1)
    meta, tensors = bundle.read(src)
    cfg, spec = meta['config'], meta['spec']
    method, params, state = training_step.load(meta, tensors)
    n_views = sum(1 for k in tensors if k.startswith('view/'))
    views = [tensors[f'view/{i}'].permute(0, 3, 1, 2).contiguous() for i in range(n_views)]
    ctx = {'step': meta['step'], 'stepsPerEpoch': meta['stepsPerEpoch'], 'indices': [int(i) for i in meta['indices']]}

    names = meta['trainable']
    opt = training_step.optimizer(method, cfg, params, names, {'scheduled': meta['lr'], 'fixed': meta['fixedLr']})
    uses_adamw = cfg.get('optimizer') == 'adamw'
    if uses_adamw:
        restore_adamw(opt, params, names, tensors)
    else:
        restore_momentum(opt, params, names, tensors, meta['step'])
    loss, grads = training_step.step(method, cfg, spec, params, state, views, ctx, opt, names, tuple(meta.get('frozen', [])))
    out = {'grad/' + n: (g if g is not None else torch.zeros_like(params[n])) for n, g in zip(names, grads)}
    out.update(adamw_after(opt, params, names, tensors) if uses_adamw else momentum_after(opt, params, names, tensors))
    out.update({'param/' + n: p for n, p in params.items()})
    out.update({'state/' + n: s for n, s in state.items()})
    bundle.write(dst, {'loss': loss.item()}, out)


def restore_momentum(opt, params, names, tensors, step):
    """SGD's and LARS's momentum buffers from the engine's (which are zeros before the first step)."""
    for n in names:
        buf = tensors.get('momentum/' + n)
        if buf is not None and step > 0:
            opt.state[params[n]]['momentum_buffer'] = buf.clone()


def momentum_after(opt, params, names, tensors):
    """The momentum buffers after the step; a parameter the step skipped (frozen at this step) keeps
    the buffer it had."""
    out = {'momentum/' + n: opt.state[params[n]]['momentum_buffer'] for n in names if 'momentum_buffer' in opt.state.get(params[n], {})}
    out.update({'momentum/' + n: tensors['momentum/' + n] for n in names if 'momentum/' + n not in out and 'momentum/' + n in tensors})
    return out


def restore_adamw(opt, params, names, tensors):
    """AdamW's moments and per-parameter update counts from the engine's."""
    steps = tensors['adamw.steps']
    for i, n in enumerate(names):
        if steps[i] > 0:
            opt.state[params[n]].update(step=int(steps[i]), exp_avg=tensors['adamw.m/' + n].clone(),
                                        exp_avg_sq=tensors['adamw.v/' + n].clone())


def adamw_after(opt, params, names, tensors):
    """AdamW's state after the step (a parameter the step skipped keeps its own)."""
    out, counts = {}, tensors['adamw.steps'].clone()
    for i, n in enumerate(names):
        s = opt.state.get(params[n], {})
        counts[i] = s.get('step', int(counts[i]))
        out['adamw.m/' + n] = s.get('exp_avg', tensors['adamw.m/' + n])
        out['adamw.v/' + n] = s.get('exp_avg_sq', tensors['adamw.v/' + n])
    out['adamw.steps'] = counts
    return out


def serve():
    for line in sys.stdin:
        src, dst = line.rstrip('\n').split('\t')
        try:
            main(src, dst)
            print('ok', flush=True)
        except Exception:  # noqa: BLE001 - the check fails, the server serves the next one
            traceback.print_exc()
            print('failed', flush=True)


if __name__ == '__main__':
    serve()
