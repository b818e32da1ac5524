"""The engine's networks written functionally over a dict of parameters keyed by the engine's own names
(src/engine: backbones/, heads.ts, batchNorm.ts), in the engine's layouts: conv kernels HWIO, linear
weights [in, out], activations NCHW here (PyTorch's). Reference checks load the engine's weights
into this dict as they are, so gradients come back under the same names and layouts."""
import torch
import torch.nn.functional as F

BN_MOMENTUM, BN_EPS = 0.1, 1e-5


def conv(params, name, x, stride):
    w = params[f'{name}.weight']
    k = w.shape[0]
    return F.conv2d(x, w.permute(3, 2, 0, 1), stride=stride, padding=k // 2)


def batch_norm(params, name, x, training):
    """PyTorch BN (momentum 0.1, eps 1e-5); running statistics updated in place when training."""
    return F.batch_norm(x, params[f'{name}.running_mean'], params[f'{name}.running_var'],
                        params.get(f'{name}.weight'), params.get(f'{name}.bias'), training, BN_MOMENTUM, BN_EPS)


def conv_bn(params, name, x, stride, training):
    return batch_norm(params, f'{name}.bn', conv(params, f'{name}.conv', x, stride), training)


def block(params, name, kind, x, width, stride, training):
    out = width * 4 if kind == 'bottleneck' else width
    if kind == 'basic':
        y = F.relu(conv_bn(params, f'{name}.1', x, stride, training))
        y = conv_bn(params, f'{name}.2', y, 1, training)
    else:
        y = F.relu(conv_bn(params, f'{name}.1', x, 1, training))
        y = F.relu(conv_bn(params, f'{name}.2', y, stride, training))
        y = conv_bn(params, f'{name}.3', y, 1, training)
    short = x if stride == 1 and x.shape[1] == out else conv_bn(params, f'{name}.downsample', x, stride, training)
    return F.relu(y + short)


def resnet(params, spec, x, training):
    """backbones/resnet.ts: stem, stages (first block of every later stage strides 2), global average pool."""
    imagenet = spec['stem'] == 'imagenet'
    y = F.relu(conv_bn(params, 'stem', x, 2 if imagenet else 1, training))
    if imagenet:
        y = F.max_pool2d(y, 3, 2, 1)
    for stage, (width, depth) in enumerate(zip(spec['widths'], spec['depths'])):
        for i in range(depth):
            y = block(params, f'layer{stage + 1}.{i}', spec['block'], y, width, 2 if stage > 0 and i == 0 else 1, training)
    return y.mean(dim=(2, 3))


def linear(params, name, x):
    y = x @ params[f'{name}.weight']
    b = params.get(f'{name}.bias')
    return y if b is None else y + b


def mlp(params, x, hidden_layers, hidden_bn, output_bn, training):
    """heads.ts mlp: fc-[BN]-ReLU per hidden layer, then fc-[BN]; names {i}.fc, {i}.bn, out.fc, out.bn."""
    for i in range(hidden_layers):
        x = linear(params, f'{i}.fc', x)
        x = F.relu(batch_norm(params, f'{i}.bn', x, training) if hidden_bn else x)
    x = linear(params, 'out.fc', x)
    return batch_norm(params, 'out.bn', x, training) if output_bn else x


def scoped(params, prefix):
    """The parameters under `prefix`, with the prefix stripped (a view: same tensor objects)."""
    return {k[len(prefix):]: v for k, v in params.items() if k.startswith(prefix)}


def collapse_std(x):
    return F.normalize(x, dim=1).std(dim=0).mean()


LN_EPS = 1e-6


def sincos_positions(rows, cols, dim):
    """backbones/sincos.ts (MoCo v3's 2-D sin-cos): [1, 1 + rows * cols, dim], zeros for the class token;
    per patch sin and cos of its row, then of its column, over dim / 4 frequencies 1e4^(-k / (dim / 4))."""
    quarter = dim // 4
    omega = 1.0 / 10000 ** (torch.arange(quarter, dtype=torch.float64) / quarter)
    row, col = torch.meshgrid(torch.arange(rows, dtype=torch.float64), torch.arange(cols, dtype=torch.float64), indexing='ij')
    r = row.flatten()[:, None] * omega[None]
    c = col.flatten()[:, None] * omega[None]
    patches = torch.cat([r.sin(), r.cos(), c.sin(), c.cos()], dim=1)
    return torch.cat([torch.zeros(1, dim, dtype=torch.float64), patches]).float()[None]


def layer_norm(params, name, x):
    return F.layer_norm(x, (x.shape[-1],), params[f'{name}.weight'], params[f'{name}.bias'], LN_EPS)


def attention(params, name, x, heads):
    n, tokens, dim = x.shape
    q, k, v = linear(params, f'{name}.qkv', x).reshape(n, tokens, 3, heads, dim // heads).permute(2, 0, 3, 1, 4)
    weights = ((q @ k.transpose(-2, -1)) * (dim // heads) ** -0.5).softmax(dim=-1)
    return linear(params, f'{name}.proj', (weights @ v).transpose(1, 2).reshape(n, tokens, dim))


def vit(params, spec, x):
    """backbones/vit.ts (timm's VisionTransformer, pre-norm blocks): spec holds the size (dim, depth,
    heads, mlpRatio) and the job's patchSize, posEmbed, pool."""
    p, dim = spec['patchSize'], spec['dim']
    rows, cols = x.shape[2] // p, x.shape[3] // p
    t = F.conv2d(x, params['patch_embed.proj.weight'].permute(3, 2, 0, 1), params['patch_embed.proj.bias'], stride=p)
    t = torch.cat([params['cls_token'].expand(x.shape[0], -1, -1), t.flatten(2).transpose(1, 2)], dim=1)
    if spec['posEmbed'] == 'sincos':
        t = t + sincos_positions(rows, cols, dim)
    else:
        if params['pos_embed'].shape[1] != t.shape[1]:
            raise ValueError('learned positions on another grid are not in the reference')
        t = t + params['pos_embed']
    for i in range(spec['depth']):
        b = f'blocks.{i}'
        t = t + attention(params, f'{b}.attn', layer_norm(params, f'{b}.norm1', t), spec['heads'])
        t = t + linear(params, f'{b}.mlp.fc2', F.gelu(linear(params, f'{b}.mlp.fc1', layer_norm(params, f'{b}.norm2', t))))
    t = layer_norm(params, 'norm', t)
    return t[:, 0] if spec['pool'] == 'cls' else t[:, 1:].mean(dim=1)


def backbone(params, spec, x, training):
    """The backbone a spec names: a ResNet, or a ViT (spec family 'vit')."""
    return vit(params, spec, x) if spec.get('family') == 'vit' else resnet(params, spec, x, training)
