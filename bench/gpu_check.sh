#!/usr/bin/env bash
# The GPU check (issue 20): on one GPU, nothing downloaded, in under eight minutes.
#   1. the CUDA-marked tests (training on the GPU in its native precision; every view of a loaded model on it);
#   2. the training benchmark on a MiniLM-sized and a BERT-base-sized model built from their configs (random
#      weights) on SST-2 sentences: TuneScope end to end against the tutorial loop (padded to 128) and the
#      Hugging Face Trainer (dynamic padding), all in the precision TuneScope picks on this GPU, with samples/s
#      and MFU against a matmul peak measured in that precision.
# Prepare here first with bench/gpu_prepare.sh, then through the `device` tool:
#   run(command="bash bench/gpu_check.sh", carry=[".gpu"], timeout_s=540)
# Results: $OUT/gpu_check.log and one JSON per model size (under $OUT when the tool sets it, else /tmp/gpu-check).
# A dry run of the plumbing on a machine without a GPU: DEVICE=cpu LIMIT=256 PYTHON=.venv/bin/python bash bench/gpu_check.sh
# Not measured yet: padding-free batches (flattened sequences) and torch.compile, which the engine does not have.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/gpu-check}
mkdir -p "$OUT"
PY=${PYTHON:-python3}
exec > >(tee "$OUT/gpu_check.log") 2>&1
if [ -d .gpu/whl ]; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .gpu/whl/*.whl
  export PYTHONPATH="/tmp/site:$PWD/.gpu/site:$PWD"
fi
export HF_HUB_OFFLINE=1 TRANSFORMERS_VERBOSITY=error PYTHONUNBUFFERED=1 TUNESCOPE_CACHE=/tmp/tunescope-cache
DATA=${DATA:-$([ -d .gpu/sst2 ] && echo .gpu/sst2 || echo ../shared/data/sst2)}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
"$PY" -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__)"
echo "== CUDA-marked tests"
timeout 150 "$PY" -m pytest -q -p no:cacheprovider -m cuda tests/core/test_cuda.py
for size in minilm bert-base; do
  echo "== training benchmark, $size"
  timeout 150 "$PY" bench/bench_train.py --device "${DEVICE:-cuda}" --model-config "$size" --data "$DATA" \
    --limit "${LIMIT:-16000}" --dev-limit 872 --batch-size 32 --only ours,a,b --tutorial-steps 50 \
    --json "$OUT/bench_train_$size.json"
done
