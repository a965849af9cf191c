#!/usr/bin/env bash
# compress.yml's promote job: the verified promotion of the version the compress job gated.
#   .ci/promote.sh RECIPE VERSION CHAMPION [TEST_SPLIT]      (prunegate on PATH)
# CHAMPION is the champion the gate compared against ("none" on a first run): champion moves
# only if it still points there (compare-and-set). TEST_SPLIT, when given, is the compress job's
# test split (an uploaded artifact), copied where the recipe reads it: the registry's copy is
# re-scored on exactly the samples it was validated on.
set -euo pipefail
recipe=${1:?usage: .ci/promote.sh RECIPE VERSION CHAMPION [TEST_SPLIT]}
version=${2:?version}
champion=${3:?champion at gate time, or none}
if [[ -n "${4:-}" ]]; then
  data=$(prunegate info --recipe "$recipe" --field data | tail -n1 | tr -d '"')
  mkdir -p "$data/05_model_input"
  cp "$4" "$data/05_model_input/test.npz"
fi
prunegate promote --recipe "$recipe" --version "$version" --expect-champion "$champion"
