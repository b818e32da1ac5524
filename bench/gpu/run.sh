#!/usr/bin/env bash
# One command on a GPU host (Docker with the NVIDIA container toolkit, internet for the build):
# builds the gpu-bench image (the GPU worker image plus the benches and PyTorch with CUDA) and runs
# bench/gpu/compare.ts in it. Arguments go to compare.ts, e.g. --models resnet-tiny,resnet50.
set -euo pipefail
cd "$(dirname "$0")/../.."
docker build --target gpu-bench -t simsiam-gpu-bench .
exec docker run --rm --gpus all simsiam-gpu-bench node --import tsx bench/gpu/compare.ts "$@"
