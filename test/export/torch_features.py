"""Loads an exported safetensors backbone strictly and writes its features of an input batch.

usage: torch_features.py EXPORT INPUT_F32 N,C,H,W OUTPUT_F32
INPUT_F32 holds normalised NCHW float32 pixels; OUTPUT_F32 receives [N, D] float32 features.
resnet18/resnet50 load into torchvision's own models (fc = Identity), the others into
python/simsiam_backbones.py. Prints the loaded keys' count and metadata as JSON.
"""
import json
import os
import sys

import numpy as np
import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
import simsiam_backbones  # noqa: E402

export, input_path, shape, output_path = sys.argv[1:5]
state, metadata = simsiam_backbones.read_safetensors(export)
backbone = metadata["backbone"]
if backbone in ("resnet18", "resnet50") and metadata["channels"] == "3":
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
