"""Config faults: refused before any work, with the bad key, its value and what would do."""

import pytest

from prunegate.app.project import parse_overrides
from prunegate.app.recipe import check_params
from prunegate.errors import ConfigError

from ..app.test_recipe import load_env
from .conftest import TINY, aliases, assert_failed_cleanly

pytestmark = pytest.mark.e2e
RECIPE = "pipelines/mnist_mlp.yml"

# case: (the recipe, the bad --params, problem named in the message, the fix it names)
CASES = {
    "unknown_technique": (RECIPE, "prune.criterion=hessian_magic",
                          "unknown prune.criterion 'hessian_magic'", "Choose one of: magnitude"),
    "sparsity_one": (RECIPE, "prune.sparsity=1.0", "'prune.sparsity'", "must be < 1.0, got 1.0"),
    "sparsity_negative": (RECIPE, "prune.sparsity=-0.1", "'prune.sparsity'",
                          "must be >= 0.0, got -0.1"),
    "string_for_number": (RECIPE, "finetune.lr=fast", "in 'finetune': 'lr'",
                          "must be a number, got 'fast'"),
    "misspelled_key": (RECIPE, "prune.sparsty=0.5", "unknown key 'prune.sparsty'",
                       "did you mean 'sparsity'?"),
    "missing_recipe": ("pipelines/mnist_mpl.yml", "", "pipelines/mnist_mpl.yml does not exist",
                       "Recipes: deep_compression"),
    "epochs_past_the_cap": (RECIPE, "train.epochs=1000000000",
                            "'epochs' must be <= 10,000, got 1,000,000,000",
                            "bound it by time instead: max_minutes"),
    "contradictory_stages": (RECIPE, "quantize.mode=dynamic,quantize.qat_epochs=3",
                             "quantize.qat_epochs and quantize.qat_lr are only read with "
                             "quantize.mode 'qat'", "(this one is 'dynamic')"),
}


# These go through `kedro run` and the whole failure standard (exit code, one message, registry,
# artifacts). The path from a ConfigError to that exit is the same for every cause, so the other
# causes are checked for their message in this process: the recipe's params, the override, and
# the same check_params the run's hook calls (a kedro run costs ~15 s of CPU, mostly imports).
KEDRO_CASES = ("unknown_technique", "misspelled_key", "missing_recipe")


@pytest.mark.parametrize("case", KEDRO_CASES)
def test_bad_config_is_refused_before_any_work(project, case):
    recipe, params, problem, fix = CASES[case]
    before = aliases(project)
    result = project.run("--config", recipe, "--params", ",".join(filter(None, (TINY, params))))
    assert_failed_cleanly(project, result, 2, problem, fix, before)
    assert not (project.path / "data/01_raw/raw_data.npz").exists()      # nothing ran


@pytest.mark.parametrize("case", [c for c in CASES if c not in KEDRO_CASES])
def test_every_other_bad_value_is_named_with_its_fix(case):
    recipe, override, problem, fix = CASES[case]
    assert recipe == RECIPE
    params = load_env("mnist_mlp")                  # pipelines/mnist_mlp.yml's recipe
    for section, values in parse_overrides(override).items():   # as --params reads them
        params[section] = {**params[section], **values}
    with pytest.raises(ConfigError) as error:
        check_params(params)
    assert problem in str(error.value) and fix in str(error.value), str(error.value)


def test_without_the_bad_value_the_same_command_runs(project):
    """The re-run after the cause is removed. It is the same command for every case above (the
    recipe without the bad override), so it runs once: up to the data gate, the first work a
    config error could have kept from running."""
    rerun = project.run("--config", RECIPE, "--params", TINY, "--to-nodes",
                        "validate_data.validate_data")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert (project.path / "data/08_reporting/data_validation.json").is_file()


LAUGHS = """run:
  env: mnist_mlp
  params:
    a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
""" + "".join(f"    {n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n"
              for p, n in zip("abcdefgh", "bcdefghi", strict=True))


@pytest.mark.parametrize(("config", "problem", "fix"), [
    (LAUGHS, "cannot be read as a run config (YAML node expansion exceeds the configured "
     "limit of 10000)", "Write it as plain YAML"),
    ("run:\n  env: ../../tmp\n", "env '../../tmp' is not a configuration environment",
     "an env is a folder under conf/ layered over the recipe, one of local"),
    ("run:\n  recipe: ../base\n", "unknown recipe '../base'", "Recipes: deep_compression"),
    ("run:\n  recipee: mnist_mlp\n", "'recipee' is not a run option",
     "did you mean 'recipe'"),
])
def test_a_hostile_run_config_is_one_line_and_exit_2(project, config, problem, fix):
    path = project.path / "pipelines" / "hostile.yml"
    path.write_text(config)
    result = project.run("--config", str(path))
    assert_failed_cleanly(project, result, 2, problem, fix)
    assert not (project.path / "data/01_raw/raw_data.npz").exists()      # nothing ran
