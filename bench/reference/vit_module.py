"""nets.vit (the engine's ViT, functional, timm names) as an nn.Module for the export checks:
TimmVit holds timm's VisionTransformer state dict (layouts [out, in] and OIHW), loaded from the
service's export."""
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


def engine_layout(value):
    """A tensor of timm's VisionTransformer state dict in the engine's layout: the patch kernel
    OIHW -> HWIO, linear weights [out, in] -> [in, out]."""
    if value.dim() == 4:
        return value.permute(2, 3, 1, 0)
    return value.t() if value.dim() == 2 else value


def timm_shape(shape):
    """The inverse of engine_layout on a shape."""
    if len(shape) == 4:
        return (shape[3], shape[2], shape[0], shape[1])
    return shape[::-1] if len(shape) == 2 else shape


class TimmVit(nn.Module):
    """nets.vit over parameters under timm's VisionTransformer names and layouts, as the service's
    safetensors export writes them (load_state_dict strict). pos_embed is always a parameter, as in
    timm: a sin-cos table is the one the export wrote for image_size, the only input size it takes."""

    def __init__(self, spec, channels, image_size):
        super().__init__()
        self.spec = {**spec, 'posEmbed': 'learned'}
        for name, shape in vit_shapes(self.spec, channels, 1 + (image_size // spec['patchSize']) ** 2).items():
            *path, leaf = name.split('.')
            module = self
            for part in path:
                if part not in module._modules:
                    module.add_module(part, nn.Module())
                module = module._modules[part]
            module.register_parameter(leaf, nn.Parameter(torch.empty(timm_shape(shape))))

    def forward(self, x):
        return nets.vit({name: engine_layout(p) for name, p in self.named_parameters()}, self.spec, x)
