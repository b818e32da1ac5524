"""nets.vit (the engine's ViT, functional, timm layout) as an nn.Module over its own parameters, for
the step bench: random values (the bench times steps, it does not train), the engine's names and
layouts (linear weights [in, out], patch kernel HWIO)."""
import torch
import torch.nn as nn

import nets


def vit_shapes(spec, channels, tokens):
    p, dim = spec['patchSize'], spec['dim']
    hidden = dim * spec['mlpRatio']
    shapes = {'patch_embed.proj.weight': (p, p, channels, dim), 'patch_embed.proj.bias': (dim,), 'cls_token': (1, 1, dim)}
    if spec['posEmbed'] == 'learned':
        shapes['pos_embed'] = (1, tokens, dim)
    for i in range(spec['depth']):
        b = f'blocks.{i}'
        for norm in ('norm1', 'norm2'):
            shapes.update({f'{b}.{norm}.weight': (dim,), f'{b}.{norm}.bias': (dim,)})
        for name, fan_in, fan_out in (('attn.qkv', dim, 3 * dim), ('attn.proj', dim, dim), ('mlp.fc1', dim, hidden), ('mlp.fc2', hidden, dim)):
            shapes.update({f'{b}.{name}.weight': (fan_in, fan_out), f'{b}.{name}.bias': (fan_out,)})
    shapes.update({'norm.weight': (dim,), 'norm.bias': (dim,)})
    return shapes


class Vit(nn.Module):
    def __init__(self, spec, channels, image_size):
        super().__init__()
        shapes = vit_shapes(spec, channels, 1 + (image_size // spec['patchSize']) ** 2)
        self.spec = spec
        self.names = list(shapes)
        self.values = nn.ParameterList([nn.Parameter(torch.randn(shape) * 0.02) for shape in shapes.values()])

    def forward(self, x):
        return nets.vit(dict(zip(self.names, self.values)), self.spec, x)
