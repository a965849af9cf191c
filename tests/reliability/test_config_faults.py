"""Config faults: refused before any work, with the bad key, its value and what would do."""

import pytest

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
    "contradictory_stages": (RECIPE, "quantize.mode=dynamic,quantize.qat_epochs=3",
                             "quantize.qat_epochs and quantize.qat_lr are only read with "
                             "quantize.mode 'qat'", "(this one is 'dynamic')"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_config_is_refused_before_any_work(project, case):
    recipe, params, problem, fix = CASES[case]
    before = aliases(project)
    result = project.run("--config", recipe, "--params", ",".join(filter(None, (TINY, params))))
    assert_failed_cleanly(project, result, 2, problem, fix, before)
    assert not (project.path / "data/01_raw/raw_data.npz").exists()      # nothing ran


def test_without_the_bad_value_the_same_command_runs(project):
    """The re-run after the cause is removed. It is the same command for every case above (the
    recipe without the bad override), so it runs once: up to the data gate, the first work a
    config error could have kept from running."""
    rerun = project.run("--config", RECIPE, "--params", TINY, "--to-nodes", "validate_data")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert (project.path / "data/08_reporting/data_validation.json").is_file()
