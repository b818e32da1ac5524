"""The engine's SimSiam model in PyTorch as modules, for the reference training run (simsiam_train.py).
Mirrors src/engine: backbones/resnet.ts (a ResNet given as a spec, the same object as
src/engine/backbones/specs.ts), heads.ts (projector and predictor) and layers.ts (torchvision
initialisation), so both implementations train the same network.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

# specs.ts 'resnet-tiny': the default when no spec is passed in
RESNET_TINY = {'stem': 'cifar', 'stemWidth': 16, 'block': 'basic', 'widths': [16, 32, 64], 'depths': [1, 1, 1]}


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        # zero_init_residual: every block starts as the identity (blocks.ts)
        nn.init.zeros_(self.bn2.weight)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


def resnet(spec, channels):
    """Backbone of a specs.ts entry (CIFAR stem, basic blocks only: the CPU-sized ones) -> (module, feature dim)."""
    if spec['stem'] != 'cifar' or spec['block'] != 'basic':
        raise ValueError('the reference implements the CIFAR stem with basic blocks only')
    width = spec['stemWidth']
    layers = [nn.Conv2d(channels, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
    cin = width
    for stage, (width, depth) in enumerate(zip(spec['widths'], spec['depths'])):
        for i in range(depth):
            layers.append(BasicBlock(cin, width, 2 if stage > 0 and i == 0 else 1))
            cin = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    backbone = nn.Sequential(*layers)
    for m in backbone.modules():
        # layers.ts: conv kaiming-normal(fan_out, relu) as torchvision's ResNet
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
    return backbone, cin


def projector(features, dim, n_layers, output_bn=True):
    """heads.ts: (n_layers - 1) x fc-BN-ReLU at the backbone's width, then fc-BN(no affine) to dim,
    or a plain fc with bias without the output BN (paper table 4)."""
    layers = []
    for _ in range(n_layers - 1):
        layers += [nn.Linear(features, features, bias=False), nn.BatchNorm1d(features), nn.ReLU(inplace=True)]
    if not output_bn:
        return nn.Sequential(*layers, nn.Linear(features, dim))
    layers += [nn.Linear(features, dim, bias=False), nn.BatchNorm1d(dim, affine=False)]
    return nn.Sequential(*layers)


def predictor(dim, hidden):
    """heads.ts: bottleneck d -> hidden -> d, the output layer a plain fc with bias."""
    return nn.Sequential(nn.Linear(dim, hidden, bias=False), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True), nn.Linear(hidden, dim))


def negative_cosine(p, z):
    return -F.cosine_similarity(p, z, dim=1).mean()


def simsiam_loss(z1, z2, p1, p2, stop_gradient=True, symmetric=True):
    """loss.ts: D(p1, sg(z2))/2 + D(p2, sg(z1))/2, with the paper's ablations."""
    target = (lambda z: z.detach()) if stop_gradient else (lambda z: z)
    forward = negative_cosine(p1, target(z2))
    return (forward + negative_cosine(p2, target(z1))) / 2 if symmetric else forward


def collapse_std(x):
    """monitors.ts: per-channel std (unbiased) of the l2-normalised output, averaged over channels."""
    return F.normalize(x, dim=1).std(dim=0).mean()
