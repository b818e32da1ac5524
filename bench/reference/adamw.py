"""AdamW (Loshchilov & Hutter 2019) written from the paper with torch.optim.AdamW's lr-scaled decay, the
optimizer of MoCo v3's ViT recipe (torch's defaults beta 0.9, 0.999, eps 1e-8). Per parameter, t its own
update count: w = w * (1 - lr * wd); m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
w = w - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps). No weight decay for rank <= 1 tensors
(norms, biases) and ViT position embeddings and class token."""
import math

import torch

NO_DECAY_NAMES = ('pos_embed', 'cls_token')


def excluded(name, w):
    return w.dim() <= 1 or any(n in name for n in NO_DECAY_NAMES)


class AdamW(torch.optim.Optimizer):
    def __init__(self, groups, weight_decay, excluded_params, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(groups, dict(lr=0.0, weight_decay=weight_decay, betas=betas, eps=eps))
        self.excluded = {id(p) for p in excluded_params}

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            b1, b2 = group['betas']
            for w in group['params']:
                if w.grad is None:
                    continue
                g, lr, state = w.grad, group['lr'], self.state[w]
                t = state['step'] = state.get('step', 0) + 1
                m = state['exp_avg'] = b1 * state.get('exp_avg', torch.zeros_like(w)) + (1 - b1) * g
                v = state['exp_avg_sq'] = b2 * state.get('exp_avg_sq', torch.zeros_like(w)) + (1 - b2) * g * g
                if id(w) not in self.excluded:
                    w.mul_(1 - lr * group['weight_decay'])
                w.sub_(lr / (1 - b1 ** t) * m / (v.sqrt() / math.sqrt(1 - b2 ** t) + group['eps']))


def clip_grad_norm(params, max_norm):
    """torch.nn.utils.clip_grad_norm_ written out: scale every gradient by min(1, max / (|g| + 1e-6))."""
    total = torch.sqrt(sum((p.grad * p.grad).sum() for p in params))
    scale = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    for p in params:
        p.grad = p.grad * scale  # a new tensor: the caller reports the unclipped gradient
