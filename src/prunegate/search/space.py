"""What the search may change: dimensions over the recipe's own parameters, by dotted path.

``prune.sparsity: {low: 0.5, high: 0.95}`` is a float range, ``prune.criterion: {choices:
[magnitude, taylor]}`` a categorical one; ``null`` removes a dimension a recipe inherits from
conf/base. ``when`` samples a dimension only under another
dimension's value (a student's width only matters for a zoo student). Every choice is checked
against the stage's own config class up front, so a typo fails before the first trial.
"""

import copy
import itertools
from dataclasses import dataclass
from typing import Any

from prunegate.errors import ConfigError
from prunegate.validators import did_you_mean, number

# the stages a trial re-runs; model, data and train are the baseline's and stay fixed
SEARCHABLE = ("prune", "finetune", "distill", "quantize")
SPEC_KEYS = {"choices", "low", "high", "log", "step", "when"}


@dataclass(frozen=True)
class Dimension:
    path: str
    choices: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    when: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        where = f"search.space['{self.path}']"
        if self.path.split(".")[0] not in SEARCHABLE:
            raise ConfigError(f"{where}: only {', '.join(SEARCHABLE)} settings can be searched "
                              "(the baseline's model, data and training stay fixed).")
        if (self.choices is None) == (self.low is None or self.high is None):
            raise ConfigError(f"{where} needs either 'choices: [...]' or 'low' and 'high'.")
        if self.choices is not None and not self.choices:
            raise ConfigError(f"{where}: 'choices' is empty.")
        if self.choices is None:
            number(self.low, f"{where}.low")
            number(self.high, f"{where}.high")
            if not self.low < self.high:
                raise ConfigError(f"{where}: low {self.low} must be below high {self.high}.")
            if self.log and self.low <= 0:
                raise ConfigError(f"{where}: a log range needs low > 0.")

    def active(self, chosen: dict[str, Any]) -> bool:
        return all(chosen.get(path) == value for path, value in self.when)

    def suggest(self, trial: Any) -> Any:
        """The value an Optuna trial picks for this dimension."""
        if self.choices is not None:
            # Optuna stores categorical choices as scalars: lists are picked by index
            index = trial.suggest_categorical(self.path, list(range(len(self.choices))))
            return copy.deepcopy(self.choices[index])
        return trial.suggest_float(self.path, self.low, self.high, log=self.log, step=self.step)


def dimensions(space: dict[str, Any], params: dict[str, Any]) -> list[Dimension]:
    """The space as dimensions, each path checked against the recipe's parameters."""
    if not isinstance(space, dict) or not space:
        raise ConfigError("search.space must map parameter paths to {choices: [...]} or "
                          "{low, high}, e.g. prune.sparsity: {low: 0.5, high: 0.95}.")
    dims = []
    space = {path: spec for path, spec in _flatten(space) if spec is not None}
    for path, spec in space.items():
        if not isinstance(spec, dict):
            raise ConfigError(f"search.space['{path}'] must be a mapping, got {spec!r}.")
        unknown = set(spec) - SPEC_KEYS
        if unknown:
            raise ConfigError(f"search.space['{path}'] has unknown key(s) {sorted(unknown)}; "
                              "use choices, low, high, log, step or when.")
        _require_path(params, path)
        when = spec.get("when") or {}
        for other in when:
            if other not in space or list(space).index(other) > list(space).index(path):
                raise ConfigError(f"search.space['{path}'].when names '{other}', which must be "
                                  "a dimension listed before it.")
        choices = spec.get("choices")
        dims.append(Dimension(path, None if choices is None else tuple(choices), spec.get("low"),
                              spec.get("high"), bool(spec.get("log", False)), spec.get("step"),
                              tuple(when.items())))
    return dims


def _flatten(space: dict[str, Any], prefix: str = ""):
    """``{prune: {sparsity: {...}}}`` (what ``--params search.space.prune.sparsity=...`` makes)
    is the same dimension as ``{prune.sparsity: {...}}``."""
    for key, spec in space.items():
        if isinstance(spec, dict) and spec and not set(spec) & SPEC_KEYS and all(
                isinstance(v, dict) or v is None for v in spec.values()):
            yield from _flatten(spec, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", spec


def _require_path(params: dict[str, Any], path: str) -> None:
    """The path's parent must be a mapping of the recipe; its last key may be new."""
    node: Any = params
    keys = path.split(".")
    for depth, key in enumerate(keys[:-1]):
        if not isinstance(node, dict) or key not in node:
            known = list(node) if isinstance(node, dict) else []
            raise ConfigError(f"search.space: '{path}' is not a parameter of this recipe "
                              f"('{'.'.join(keys[:depth + 1])}' does not exist"
                              f"{did_you_mean(key, known)}).")
        node = node[key]
    if not isinstance(node, dict):
        raise ConfigError(f"search.space: '{path}' is not a parameter of this recipe.")
    if keys[-1] not in node and len(keys) == 2:
        raise ConfigError(f"search.space: '{path}' is not a parameter of this recipe"
                          f"{did_you_mean(keys[-1], list(node))}.")


def sample(trial: Any, dims: list[Dimension]) -> dict[str, Any]:
    """One point of the space: {path: value} for every active dimension."""
    chosen: dict[str, Any] = {}
    for dim in dims:
        if dim.active(chosen):
            chosen[dim.path] = dim.suggest(trial)
    return chosen


def apply(params: dict[str, Any], chosen: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of the recipe's parameters with the chosen values set. A trial prunes to the
    sparsity it samples: the recipe's accuracy-budget back-off is off in every trial."""
    merged = copy.deepcopy(params)
    merged["prune"] = {**(merged.get("prune") or {}), "accuracy_budget": False}
    for path, value in chosen.items():
        *parents, last = path.split(".")
        node = merged
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return merged


def check_choices(params: dict[str, Any], dims: list[Dimension], check,
                  limit: int = 5000) -> int:
    """Every categorical choice and both ends of every range must be accepted by ``check`` (the
    recipe's parameter check) in at least one combination, so a value no stage accepts fails
    now, not as a failed trial an hour in. Returns how many categorical combinations are valid
    (combinations such as gradual + neurons are refused per trial)."""
    categorical = [d for d in dims if d.choices is not None]
    errors: dict[tuple[str, int], str] = {}
    usable: set[tuple[str, int]] = set()
    valid, first = 0, None
    for n, combo in enumerate(itertools.product(*(range(len(d.choices)) for d in categorical))):
        if n == limit:
            break
        chosen = {d.path: d.choices[i] for d, i in zip(categorical, combo, strict=True)}
        try:
            check(apply(params, chosen))
        except ConfigError as error:
            for d, i in zip(categorical, combo, strict=True):
                errors.setdefault((d.path, i), str(error))
            continue
        valid += 1
        first = first or chosen
        usable.update(zip((d.path for d in categorical), combo, strict=True))
    for d in categorical:
        for i, value in enumerate(d.choices):
            if (d.path, i) not in usable and (d.path, i) in errors:
                raise ConfigError(f"search.space['{d.path}'] choice {value!r} is accepted in no "
                                  f"combination: {errors[(d.path, i)]}")
    if valid == 0 and categorical:
        raise ConfigError("search.space has no valid combination of choices.")
    for d in dims:
        for end in ((d.low, d.high) if d.choices is None else ()):
            try:
                check(apply(params, {**(first or {}), d.path: end}))
            except ConfigError as error:
                raise ConfigError(f"search.space['{d.path}'] bound {end} is not accepted: "
                                  f"{error}") from error
    return valid
