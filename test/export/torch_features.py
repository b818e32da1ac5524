"""Loads an exported safetensors backbone strictly and writes its features of an input batch.

usage: torch_features.py EXPORT INPUT_F32 N,C,H,W OUTPUT_F32
INPUT_F32 holds normalised NCHW float32 pixels; OUTPUT_F32 receives [N, D] float32 features.
resnet18/resnet50 load into torchvision's own models (fc = Identity), the other ResNets into
python/simsiam_backbones.py, ViTs (timm's names) into bench/reference/vit_module.py's TimmVit built
from the file's metadata. Prints the loaded keys' count and metadata as JSON.
"""
import json
import os
import sys

import numpy as np
import torch
import torchvision

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
sys.path[:0] = [os.path.join(ROOT, "python"), os.path.join(ROOT, "bench", "reference")]
import simsiam_backbones  # noqa: E402
from vit_module import TimmVit  # noqa: E402

export, input_path, shape, output_path = sys.argv[1:5]
state, metadata = simsiam_backbones.read_safetensors(export)
backbone = metadata["backbone"]
if backbone.startswith("vit-"):
    spec = {key: int(metadata[field]) for key, field in (("dim", "dim"), ("depth", "depth"), ("heads", "heads"), ("mlpRatio", "mlp_ratio"), ("patchSize", "patch_size"))}
    spec["pool"] = metadata["pool"]
    model = TimmVit(spec, int(metadata["channels"]), int(metadata["image_size"]))
elif backbone in ("resnet18", "resnet50") and metadata["channels"] == "3":
    model = getattr(torchvision.models, backbone)()
    model.fc = torch.nn.Identity()
else:
    model = simsiam_backbones.build(backbone, int(metadata["channels"]))
model.load_state_dict(state, strict=True)
model.eval()
x = torch.from_numpy(np.fromfile(input_path, dtype="<f4").reshape([int(d) for d in shape.split(",")]))
with torch.no_grad():
    features = model(x)
features.numpy().astype("<f4").tofile(output_path)
print(json.dumps({"keys": len(state), "backbone": backbone, "shape": list(features.shape)}))
