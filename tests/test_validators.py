from dataclasses import dataclass

import pytest

from prunegate.errors import ConfigError
from prunegate.validators import choose, from_dict, integer, number


@dataclass
class Example:
    sparsity: float = 0.5
    method: str = "a"


def test_from_dict_builds_with_defaults_and_overrides():
    assert from_dict(Example, {"sparsity": 0.9}, "prune") == Example(sparsity=0.9)
    assert from_dict(Example, None, "prune") == Example()


def test_unknown_key_is_rejected_with_a_suggestion():
    with pytest.raises(ConfigError, match=r"unknown key 'prune.sparsty' \(did you mean 'sparsity'"):
        from_dict(Example, {"sparsty": 0.9}, "prune")


@pytest.mark.parametrize("value", ["0.5", None, True, float("nan")])
def test_number_rejects_non_numbers(value):
    with pytest.raises(ConfigError, match="must be a number"):
        number(value, "x")


def test_number_bounds_and_open_upper_bound():
    assert number(0.99, "s", 0.0, 1.0, include_high=False) == 0.99
    with pytest.raises(ConfigError, match="must be < 1.0"):
        number(1.0, "s", 0.0, 1.0, include_high=False)
    with pytest.raises(ConfigError, match="must be >= 0.0"):
        number(-0.1, "s", 0.0, 1.0)


def test_integer_and_choose():
    assert integer(3, "epochs", low=1) == 3
    with pytest.raises(ConfigError):
        integer(2.5, "epochs")
    with pytest.raises(ConfigError, match="did you mean 'structured'"):
        choose("structurd", ["structured", "unstructured"], "prune.method")
