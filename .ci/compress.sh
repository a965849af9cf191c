#!/usr/bin/env bash
# The scheduled compress job in one script, so that .github/workflows/compress.yml and
# tests/e2e/test_dvc.py run the same thing.
#
#   .ci/compress.sh [RECIPE]          (default: mnist_mlp; prunegate, kedro and dvc on PATH)
#
# The recipe DVC mirrors (dvc.yaml: the default, mnist_mlp) runs with `dvc repro`, so stages whose
# code, data and parameters did not change are restored from the DVC cache; any other recipe runs
# with `kedro run --config`. The gated artifact is registered as challenger but champion is not
# moved (PRUNEGATE_PROMOTE=false): the approved promote job does that with `prunegate promote`.
#
# Writes, when GitHub Actions provides the files:
#   $GITHUB_OUTPUT        passed=true|false, outcome=pass|fail|undecided, version=<registered
#                         version>, champion=<at start|none>, data=<the recipe's data folder>
#   $GITHUB_STEP_SUMMARY  the gate's Markdown summary (gate.md)
# Exit: 0 gate passed (or nothing changed), 1 gate failed, 2 the run could not be evaluated,
# 3 the gate was undecided (the test data or the runner's noise could not settle a check: not
# deployable; gate.md says what would decide it).
set -uo pipefail
recipe=${1:-mnist_mlp}
dvc_recipe=mnist_mlp
export PRUNEGATE_PROMOTE=false
out=${GITHUB_OUTPUT:-/dev/null}
summary=${GITHUB_STEP_SUMMARY:-/dev/null}

info=$(prunegate info --recipe "$recipe" --field data) || exit 2
data=$(tail -n1 <<<"$info" | tr -d '"')
reports="$data/08_reporting"
rm -f "$reports/registration.json"
echo "data=$data" >>"$out"

if [[ "$recipe" == "$dvc_recipe" ]]; then
  dvc repro
else
  kedro run --config "pipelines/$recipe.yml"
fi
code=$?

registration="$reports/registration.json"
if [[ -f "$registration" ]]; then
  read -r passed outcome version champion < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
outcome = r.get("outcome", "pass" if r["gate_passed"] else "fail")
print(str(r["gate_passed"]).lower(), outcome, r["version"], r["champion_at_start"] or "none")
' "$registration")
  echo "passed=$passed" >>"$out"
  echo "outcome=$outcome" >>"$out"
  echo "version=$version" >>"$out"
  echo "champion=$champion" >>"$out"
  {
    echo "## prunegate: $recipe -> v$version ${outcome^^}"
    echo
    case $outcome in
      pass) echo "Gated against champion $champion. Promotion waits for the approved promote job." ;;
      undecided) echo "Not deployable: the test data or this runner's noise could not settle a" \
        "check, so nothing is promoted. The undecided check below says what would decide it" \
        "(more test samples, a wider limit, or a quieter runner)." ;;
      *) echo "Not deployable: a check failed. Champion stays $champion." ;;
    esac
    echo
    cat "$reports/gate.md"
  } >>"$summary"
  case $outcome in pass) exit 0 ;; undecided) exit 3 ;; *) exit 1 ;; esac
fi

echo "passed=false" >>"$out"
if [[ $code -eq 0 ]]; then
  # dvc restored every stage from its cache: same code, data and parameters as a gated run
  msg="nothing changed since the last gated run (DVC restored every stage): nothing new to gate or promote"
  echo "$msg"
  echo "## prunegate: $recipe: $msg" >>"$summary"
  exit 0
fi
# no registration: the run stopped before the gate decided (bad data, bad config, tracking store)
echo "## prunegate: $recipe could not be evaluated (exit $code); see the job log" >>"$summary"
[[ -f "$reports/data_validation.json" ]] && grep -q '"success": false' \
  "$reports/data_validation.json" && echo "The data gate failed: see data_validation.json." >>"$summary"
exit 2
