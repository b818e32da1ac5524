"""LARS as SimCLR's official optimizer (You et al. 2017; google-research/simclr lars_optimizer, classic
momentum): per parameter, g = grad + wd * w, trust = eta * |w| / |g| (1 if either norm is 0),
v = momentum * v + lr * trust * g, w = w - v. Parameters SimCLR excludes (batch-norm variables and
biases; here also a ViT's LayerNorm scales) take v = momentum * v + lr * grad with no weight decay and no
trust ratio."""
import re

import torch


def excluded(name):
    return '.bn.' in name or name.endswith('.bias') or re.search(r'(^|\.)norm\d?\.weight$', name) is not None


class LARS(torch.optim.Optimizer):
    def __init__(self, groups, momentum, weight_decay, excluded_params, eta=0.001):
        super().__init__(groups, dict(lr=0.0, momentum=momentum, weight_decay=weight_decay, eta=eta))
        self.excluded = {id(p) for p in excluded_params}

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for w in group['params']:
                if w.grad is None:
                    continue
                g, lr = w.grad, group['lr']
                if id(w) not in self.excluded:
                    g = g + group['weight_decay'] * w
                    w_norm, g_norm = torch.linalg.norm(w), torch.linalg.norm(g)
                    if w_norm > 0 and g_norm > 0:
                        lr = lr * group['eta'] * w_norm / g_norm
                state = self.state[w]
                v = state.get('momentum_buffer')
                v = lr * g if v is None else group['momentum'] * v + lr * g
                state['momentum_buffer'] = v
                w.sub_(v)
