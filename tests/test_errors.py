"""Errors: ours are found however deep Kedro wrapped them; known foreign ones are bad input."""

import pytest
from omegaconf import OmegaConf

from prunegate.errors import ConfigError, find_prunegate_error


def test_our_error_is_found_under_the_wrappers():
    try:
        try:
            raise ConfigError("bad")
        except ConfigError as error:
            raise RuntimeError("a hook failed") from error
    except RuntimeError as wrapped:
        assert str(find_prunegate_error(wrapped)) == "bad"
    assert find_prunegate_error(ValueError("a bug")) is None


def test_a_list_over_a_mapping_in_the_config_layers_is_a_config_error():
    """A recipe that still writes gates.checks as a list, overridden by name on the command
    line: OmegaConf's TypeError becomes one line naming the fix (exit 2), not a traceback."""
    recipe = OmegaConf.create({"gates": {"checks": [{"metric": "accuracy"}]}})
    params = OmegaConf.create({"gates": {"checks": {"floor": {"threshold": 0.5}}}})
    with pytest.raises(TypeError) as raised:
        OmegaConf.unsafe_merge(recipe, params)
    ours = find_prunegate_error(raised.value)
    assert isinstance(ours, ConfigError) and ours.exit_code == 2
    assert "Write gates.checks as a mapping of check names" in str(ours)


def test_an_undecided_gate_is_its_own_exit_code_and_line():
    import click
    from click.testing import CliRunner

    from prunegate.app.cli_errors import clean_errors
    from prunegate.errors import GateFailed, GateUndecided

    for error, code, label in ((GateUndecided("max_accuracy_drop_pp: ..."), 3, "UNDECIDED"),
                               (GateFailed("max_size_ratio: ..."), 1, "FAIL"),
                               (ConfigError("bad"), 2, "error")):
        @click.command()
        @clean_errors
        def command(error=error):
            raise error

        result = CliRunner().invoke(command, [])
        assert result.exit_code == code
        assert result.output.strip().splitlines()[-1].startswith(f"{label}: ")
