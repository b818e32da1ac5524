"""Load a simsiam-service backbone export (GET /v1/jobs/{id}/export?format=safetensors) into PyTorch.

    import simsiam_backbones
    model = simsiam_backbones.load("job.safetensors")   # eval mode, outputs [N, feature_dim]

resnet18 and resnet50 are torchvision's own models (fc replaced by Identity); resnet-tiny,
resnet-small and resnet18-cifar are CIFAR-style ResNets (3x3 stem, no max-pool) built here from
torchvision's blocks, with the same state-dict names. Needs torch and torchvision only: the file is
read by the small reader below (`safetensors.torch.load_file` reads it as well).
"""
import json
import struct

import torch
from torch import nn
import torchvision
from torchvision.models.resnet import BasicBlock, Bottleneck

# name -> (block, stem width, stage widths, blocks per stage), as the service's engine defines them
CIFAR_SPECS = {
    "resnet-tiny": (BasicBlock, 16, [16, 32, 64], [1, 1, 1]),
    "resnet-small": (BasicBlock, 32, [32, 64, 128], [2, 2, 2]),
    "resnet18-cifar": (BasicBlock, 64, [64, 128, 256, 512], [2, 2, 2, 2]),
}


class CifarResNet(nn.Module):
    """3x3 stride-1 stem, no max-pool; the first block of every stage after the first halves the size."""

    def __init__(self, block, stem_width, widths, depths, in_channels=3):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, stem_width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(stem_width)
        self.relu = nn.ReLU(inplace=True)
        inplanes = stem_width
        self.stages = len(widths)
        for stage, (width, depth) in enumerate(zip(widths, depths)):
            blocks = []
            for i in range(depth):
                stride = 2 if stage > 0 and i == 0 else 1
                out = width * block.expansion
                downsample = None
                if stride != 1 or inplanes != out:
                    downsample = nn.Sequential(nn.Conv2d(inplanes, out, 1, stride, bias=False), nn.BatchNorm2d(out))
                blocks.append(block(inplanes, width, stride, downsample))
                inplanes = out
            setattr(self, f"layer{stage + 1}", nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        for stage in range(self.stages):
            x = getattr(self, f"layer{stage + 1}")(x)
        return torch.flatten(self.avgpool(x), 1)


def build(backbone, in_channels=3):
    """An untrained backbone whose state-dict keys match the export."""
    if backbone in ("resnet18", "resnet50"):
        model = getattr(torchvision.models, backbone)()
        model.fc = nn.Identity()
        if in_channels != 3:
            model.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
        return model
    if backbone in CIFAR_SPECS:
        return CifarResNet(*CIFAR_SPECS[backbone], in_channels=in_channels)
    if backbone.startswith("vit-"):
        raise ValueError(f"{backbone} is a ViT: its file holds timm's VisionTransformer state dict; build that from the file's metadata (docs/exports.md)")
    raise ValueError(f"unknown backbone {backbone!r}")


_DTYPES = {"F32": torch.float32, "I64": torch.int64}


def read_safetensors(path):
    """(state dict, metadata) of a safetensors file."""
    with open(path, "rb") as f:
        raw = f.read()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    metadata = header.pop("__metadata__", {})
    data = bytearray(raw[8 + length :])
    state = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dtype = _DTYPES[info["dtype"]]
        count = (end - begin) // torch.empty((), dtype=dtype).element_size()
        tensor = torch.frombuffer(data, dtype=dtype, count=count, offset=begin)
        state[name] = tensor.reshape(info["shape"]).clone()
    return state, metadata


def load(path):
    """The exported backbone in eval mode (BatchNorm uses the trained running statistics)."""
    state, metadata = read_safetensors(path)
    model = build(metadata["backbone"], int(metadata.get("channels", 3)))
    model.load_state_dict(state, strict=True)
    return model.eval()
