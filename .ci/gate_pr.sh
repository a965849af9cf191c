#!/usr/bin/env bash
# The pull-request gate: run a recipe on tiny settings for this checkout and for BASE (main),
# and print the metrics diff as Markdown (gate.yml appends it to the job summary).
#
#   .ci/gate_pr.sh BASE_REF [RECIPE]      (prunegate and kedro on PATH)
#
# Tiny settings make it a quick smoke test of the whole chain, not a verdict on model quality:
# the recipe's real gate runs in compress.yml. Exit: 0 the PR's chain ran (whatever the tiny
# gate decided), 2 it could not run (bad config, broken code).
set -uo pipefail
base_ref=${1:?usage: .ci/gate_pr.sh BASE_REF [RECIPE]}
recipe=${2:-mnist_mlp}
tiny="train.epochs=2,finetune.epochs=1,distill.training.epochs=1,validate.latency_repeats=500"
work=$(mktemp -d)
trap 'git worktree remove --force "$work/base" >/dev/null 2>&1; rm -rf "$work"' EXIT

# $1: project folder, $2: where to copy its metrics.json. A failed tiny gate still wrote them.
run_tiny() {
  local dir=$1 dest=$2 code data
  data=$(cd "$dir" && prunegate info --recipe "$recipe" --field data | tail -n1 | tr -d '"') || return 2
  (cd "$dir" && MLFLOW_TRACKING_URI="sqlite:///$work/$(basename "$dest" .json).db" \
    kedro run --config "pipelines/$recipe.yml" --params "$tiny")
  code=$?
  [[ $code -le 1 && -f "$dir/$data/08_reporting/metrics.json" ]] || return 2
  cp "$dir/$data/08_reporting/metrics.json" "$dest"
}

run_tiny . "$work/head.json" >&2
head_code=$?
if [[ $head_code -ne 0 ]]; then
  echo "## prunegate: this PR's $recipe chain could not run on tiny settings; see the job log"
  exit 2
fi

# main's code and config, with this checkout's installed dependencies
if git worktree add --detach "$work/base" "$base_ref" >/dev/null 2>&1; then
  PYTHONPATH="$work/base/src" run_tiny "$work/base" "$work/base.json" >&2 ||
    echo "warning: $base_ref could not run $recipe on tiny settings; showing this PR alone" >&2
fi
echo "## prunegate: $recipe on tiny settings, $base_ref vs this PR"
echo
prunegate diff --base-label "$base_ref" "$work/base.json" "$work/head.json"
