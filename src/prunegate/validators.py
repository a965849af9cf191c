"""Turning a parameters dict into a checked dataclass config.

Configs check their own values in ``__post_init__``; this module adds the part every config
shares: an unknown key is an error with a "did you mean" hint, never silently ignored.
"""

import dataclasses
import difflib
import math
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from prunegate.errors import ConfigError

T = TypeVar("T")


def from_dict(cls: type[T], values: Mapping[str, Any] | None, section: str) -> T:
    """Build ``cls`` from ``values``, rejecting keys it does not know."""
    values = dict(values or {})
    known = [f.name for f in dataclasses.fields(cls) if f.init]
    for key in values:
        if key not in known:
            raise ConfigError(
                f"unknown key '{section}.{key}'{did_you_mean(key, known)}. "
                f"Valid keys: {', '.join(known)}."
            )
    try:
        return cls(**values)
    except ConfigError as error:
        # shared configs (TrainConfig serves train, finetune, distill.training) name the key only
        if f"{section}." in str(error):
            raise
        raise ConfigError(f"in '{section}': {error}") from error
    except TypeError as error:  # a nested value of the wrong shape
        raise ConfigError(f"bad value in '{section}': {error}") from error


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def choose(value: str, choices: Sequence[str], key: str) -> str:
    """Check that ``value`` names one of ``choices``."""
    if value not in choices:
        raise ConfigError(
            f"unknown {key} '{value}'{did_you_mean(str(value), choices)}. "
            f"Choose one of: {', '.join(choices)}."
        )
    return value


def number(value: Any, key: str, low: float | None = None, high: float | None = None,
           include_high: bool = True) -> float:
    """Check that ``value`` is a finite number within [low, high] (or [low, high))."""
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ConfigError(f"'{key}' must be a number, got {value!r}.")
    if low is not None and value < low:
        raise ConfigError(f"'{key}' must be >= {low}, got {value}.")
    if high is not None and (value > high or (not include_high and value == high)):
        bound = "<=" if include_high else "<"
        raise ConfigError(f"'{key}' must be {bound} {high}, got {value}.")
    return value


def integer(value: Any, key: str, low: int = 0, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"'{key}' must be a whole number, got {value!r}.")
    if value < low:
        raise ConfigError(f"'{key}' must be >= {low}, got {value}.")
    if high is not None and value > high:
        raise ConfigError(f"'{key}' must be <= {high:,}, got {value:,}. For a long job, bound it "
                          "by time instead: max_minutes.")
    return value
