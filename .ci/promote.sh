#!/usr/bin/env bash
# compress.yml's promote job: the verified promotion of the version the compress job gated.
#   .ci/promote.sh RECIPE VERSION CHAMPION [ARTIFACTS]      (prunegate on PATH)
# CHAMPION is the champion the gate compared against ("none" on a first run): champion moves
# only if it still points there (compare-and-set). ARTIFACTS, when given, is the compress job's
# uploaded data folder: its test split (05_model_input/test.npz) and dense baseline
# (06_models/baseline.onnx) are copied where the recipe reads them, so the registry's copy is
# re-gated on exactly the samples and against exactly the baseline it was validated with.
set -euo pipefail
recipe=${1:?usage: .ci/promote.sh RECIPE VERSION CHAMPION [ARTIFACTS]}
version=${2:?version}
champion=${3:?champion at gate time, or none}
if [[ -n "${4:-}" ]]; then
  data=$(prunegate info --recipe "$recipe" --field data | tail -n1 | tr -d '"')
  for file in 05_model_input/test.npz 06_models/baseline.onnx; do
    test -f "$4/$file" || { echo "error: $4/$file is missing: the compress job uploads it" >&2; exit 2; }
    mkdir -p "$data/$(dirname "$file")"
    cp "$4/$file" "$data/$file"
  done
fi
prunegate promote --recipe "$recipe" --version "$version" --expect-champion "$champion"
