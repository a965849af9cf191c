"""The gate's configuration: which checks, with which thresholds, at which confidence.

Every check has one form, (metric, comparator, threshold, basis); the named shortcuts
(``max_size_ratio: 0.1``) and the ``checks:`` list both become ``CheckSpec``s here, and rule.py
decides them. The vocabulary of metrics is shared with the search's constraints.
"""

from dataclasses import dataclass, field
from typing import Any

from prunegate.errors import ConfigError
from prunegate.validators import choose, from_dict, integer, number

HIGHER_IS_BETTER = ("accuracy", "f1_macro", "f1_weighted", "precision_macro",
                    "precision_weighted", "recall_macro", "recall_weighted", "min_class_recall",
                    "kfold_accuracy_mean", "robust_accuracy")
LOWER_IS_BETTER = ("latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "size_bytes",
                   "size_compressed_bytes", "size_sparse_bytes", "params", "nonzero_params", "macs",
                   "kfold_accuracy_std", "energy_uj", "ece")
# lower is better, and relative to a reference the value is the increase in percentage points
# (a ratio of two small calibration errors would mostly measure noise)
DIFFERENCE = ("ece",)
BASES = ("absolute", "relative_to_baseline", "relative_to_champion")
# measured for the candidate's recipe only (validate.kfold), so there is nothing to compare with
ABSOLUTE_ONLY = ("kfold_accuracy_mean", "kfold_accuracy_std")
LATENCY = {"latency_p50_ms": 50, "latency_p95_ms": 95, "latency_p99_ms": 99}


@dataclass(frozen=True)
class CheckSpec:
    metric: str
    comparator: str
    threshold: float
    basis: str = "absolute"
    name: str = ""

    def __post_init__(self) -> None:
        choose(self.metric, [*HIGHER_IS_BETTER, *LOWER_IS_BETTER], "gates check metric")
        choose(self.comparator, ["<=", ">="], "gates check comparator")
        choose(self.basis, BASES, "gates check basis")
        number(self.threshold, f"gates check '{self.metric}' threshold")
        if self.metric in ABSOLUTE_ONLY and self.basis != "absolute":
            raise ConfigError(f"gates check on '{self.metric}' must use basis: absolute (only "
                              "the candidate's recipe is repeated on k folds).")
        if not self.name:
            # dots, not colons: the name becomes an MLflow tag key
            object.__setattr__(self, "name", f"{self.basis}.{self.metric}")


@dataclass
class GateConfig:
    # shorthands for the common checks; null turns one off
    min_accuracy: float | None = 0.0
    max_accuracy_drop_pp: float | None = 1.0  # vs the dense baseline, same test samples
    max_latency_p95_ms: float | None = None
    max_latency_ratio: float | None = 1.0  # candidate p95 / dense ONNX fp32 p95, same run
    max_size_ratio: float | None = 0.1  # candidate bytes / dense ONNX fp32 bytes
    max_energy_ratio: float | None = None  # candidate µJ per inference / dense fp32 µJ
    # accuracy drop on the perturbed test copies (validate.robustness), pp, paired
    max_robust_drop_pp: float | None = None
    max_ece_increase_pp: float | None = None  # calibration error above the dense model's, pp
    # any other check, general form: {name: {metric, comparator, threshold, basis}}, so that one
    # threshold can be overridden by name (--params gates.checks.<name>.threshold=0.7) and a
    # recipe can switch a base check off (<name>: null). A plain list is accepted too.
    checks: dict[str, Any] | list[dict[str, Any]] = field(default_factory=dict)
    confidence: float = 0.95  # one-sided: a check's error rates are each at most 1 - this
    bootstrap_samples: int = 2000
    remeasure_budget: int = 2  # extra latency measurements before a check is left undecided
    # the share of test samples on which the dense and the compressed model are expected to
    # disagree (one right, one wrong): what the resolution of a drop check assumes before
    # anything trains (resolution.py); the shipped recipes measure 1-5%
    expected_disagreement: float = 0.02

    def __post_init__(self) -> None:
        for key in ("min_accuracy", "max_accuracy_drop_pp", "max_latency_p95_ms",
                    "max_latency_ratio", "max_size_ratio", "max_energy_ratio",
                    "max_robust_drop_pp", "max_ece_increase_pp"):
            if getattr(self, key) is not None:
                number(getattr(self, key), f"gates.{key}", low=0.0)
        self.checks = _named_checks(self.checks)
        number(self.confidence, "gates.confidence", 0.6, 0.999)
        number(self.expected_disagreement, "gates.expected_disagreement", 0.001, 1.0)
        integer(self.bootstrap_samples, "gates.bootstrap_samples", low=100)
        integer(self.remeasure_budget, "gates.remeasure_budget", low=0)
        self.specs()  # every extra check is valid now, not when the gate runs

    def specs(self) -> list[CheckSpec]:
        shorthand = [("min_accuracy", "accuracy", ">=", "absolute"),
                     ("max_accuracy_drop_pp", "accuracy", "<=", "relative_to_baseline"),
                     ("max_latency_p95_ms", "latency_p95_ms", "<=", "absolute"),
                     ("max_latency_ratio", "latency_p95_ms", "<=", "relative_to_baseline"),
                     ("max_size_ratio", "size_bytes", "<=", "relative_to_baseline"),
                     ("max_energy_ratio", "energy_uj", "<=", "relative_to_baseline"),
                     ("max_robust_drop_pp", "robust_accuracy", "<=", "relative_to_baseline"),
                     ("max_ece_increase_pp", "ece", "<=", "relative_to_baseline")]
        specs = [CheckSpec(metric, comparator, getattr(self, key), basis, key)
                 for key, metric, comparator, basis in shorthand if getattr(self, key) is not None]
        for i, check in enumerate(self.checks):
            if not isinstance(check, dict):
                raise ConfigError(f"gates.checks[{i}] must be a mapping, got {check!r}.")
            specs.append(from_dict(CheckSpec, check, f"gates.checks[{i}]"))
        return specs


def _named_checks(checks: Any) -> list[dict[str, Any]]:
    """The mapping form {name: spec or null} as the list form, each spec carrying its name."""
    if isinstance(checks, list):
        return checks
    if not isinstance(checks, dict):
        raise ConfigError("'gates.checks' must map check names to {metric, comparator, "
                          f"threshold, basis}}, got {checks!r}.")
    named = []
    for name, spec in checks.items():
        if spec is None:  # switched off, e.g. by a recipe over conf/base
            continue
        if not isinstance(spec, dict):
            raise ConfigError(f"gates.checks.{name} must be a mapping of metric, comparator, "
                              f"threshold and basis (or null to switch it off), got {spec!r}.")
        if spec.get("name", name) != name:
            raise ConfigError(f"gates.checks.{name} has name '{spec['name']}': a check's name "
                              "is its key; drop the name field.")
        named.append({**spec, "name": str(name)})
    return named


def gate_config(params: dict[str, Any] | None) -> GateConfig:
    if params is not None and not isinstance(params, dict):
        raise ConfigError(f"'gates' must be a mapping of thresholds, got {params!r}.")
    return from_dict(GateConfig, params, "gates")
