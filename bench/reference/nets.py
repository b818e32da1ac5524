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
