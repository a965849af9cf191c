#!/usr/bin/env bash
# compress.yml's plan job: refuse to start without a shared registry, and print where the recipe
# must run (its target profile's runs_on, as JSON) as `runs-on=...` for $GITHUB_OUTPUT.
#   .ci/plan.sh RECIPE            (prunegate on PATH)
set -euo pipefail
recipe=${1:?usage: .ci/plan.sh RECIPE}
if [[ -z "${MLFLOW_TRACKING_URI:-}" ]]; then
  echo "::error::Set the MLFLOW_TRACKING_URI repository secret to your team's MLflow server or database: a runner's own sqlite registry is lost when the job ends, so nothing could be promoted." >&2
  exit 2
fi
runs_on=$(prunegate info --recipe "$recipe" --field runs_on | tail -n1)
echo "runs-on=$runs_on" >>"${GITHUB_OUTPUT:-/dev/stdout}"
