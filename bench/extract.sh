#!/usr/bin/env bash
# Images per second of ResNet-18 feature extraction (224x224, 512 features): ONNX Runtime and the TorchSharp import
# running ML.NET's ResNet18.onnx, and PyTorch running torchvision's ResNet (random weights), one after the other in
# this one invocation, with the same batch sizes and thread count; writes OUT/extract.tsv and the phases' load.
#
#   bench/extract.sh [OUT] [THREADS] [BATCHES] [SECONDS]   defaults: artifacts/bench-extract 2 1,16 20
#
# Needs the .NET 10 SDK and Debian's python3-torch and python3-torchvision, run with Debian's interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-artifacts/bench-extract}
threads=${2:-2}
batches=${3:-1,16}
seconds=${4:-20}
python=/usr/bin/python3
project=bench/LabelSphere.Benchmarks

if ! "$python" -c 'import torch, torchvision' 2>/dev/null; then
    echo "extract.sh: $python lacks torch/torchvision; apt-get install -y python3-torch python3-torchvision" >&2
    exit 1
fi
mkdir -p "$out"
. bench/phases.sh
phases_start "$out"

phase build dotnet build -c Release "$project" --nologo
phase dotnet dotnet run -c Release --no-build --project "$project" -- extract --threads "$threads" --batches "$batches" --seconds "$seconds"
phase pytorch "$python" bench/peer/resnet_peer.py --threads "$threads" --batches "$batches" --seconds "$seconds"
{ cat "$out/dotnet.log"; tail -n +2 "$out/pytorch.log"; } > "$out/extract.tsv"
cat "$out/extract.tsv" "$phases"
