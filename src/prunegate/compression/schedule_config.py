"""One config type per pruning schedule, each with only its own settings.

A recipe writes them flat under ``prune:`` (``schedule: gradual``, ``gradual_events: 10``), so
that ``--params prune.gradual_events=20`` works; ``PruneConfig.schedule_config`` turns them into
one of these, and schedules.py routes each type to its handler (``FINETUNE``), as torchao routes
a config type to its quantizer.
"""

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class OneShot:
    """The prune stage removes everything; fine-tuning recovers with the masks held."""


@dataclass(frozen=True)
class Iterative:
    """``rounds`` rounds of prune-then-fine-tune; the prune stage does round 1."""

    rounds: int = 3


@dataclass(frozen=True)
class Gradual:
    """Zhu & Gupta: from ``initial_sparsity`` to the target in ``events`` pruning events, done
    by fraction ``end`` of fine-tuning (the rest recovers)."""

    initial_sparsity: float = 0.0
    events: int = 10
    end: float = 0.75


@dataclass(frozen=True)
class Dynamic:
    """Guo et al.: the mask is re-ranked every ``every`` steps (pruned weights keep learning
    behind it and can return), and frozen after fraction ``end`` of fine-tuning."""

    every: int = 50
    end: float = 0.75


Schedule = OneShot | Iterative | Gradual | Dynamic
# prune.schedule -> its type, and each flat prune.<key> -> that type's field
SCHEDULES: dict[str, type] = {"one_shot": OneShot, "iterative": Iterative, "gradual": Gradual,
                              "dynamic": Dynamic}
FLAT_KEYS: dict[str, dict[str, str]] = {
    "one_shot": {},
    "iterative": {"rounds": "rounds"},
    "gradual": {"initial_sparsity": "initial_sparsity", "gradual_events": "events",
                "gradual_end": "end"},
    "dynamic": {"dynamic_every": "every", "dynamic_end": "end"},
}


def flat_defaults(schedule: str) -> dict[str, object]:
    """The flat keys of ``schedule`` with their defaults, e.g. {"gradual_events": 10, ...}."""
    defaults = {f.name: f.default for f in fields(SCHEDULES[schedule])}
    return {flat: defaults[name] for flat, name in FLAT_KEYS[schedule].items()}


def schedule_from(schedule: str, flat: dict[str, object]) -> Schedule:
    """The typed schedule from PruneConfig's flat values (unset ones take the defaults)."""
    given = {name: flat[key] for key, name in FLAT_KEYS[schedule].items()
             if flat.get(key) is not None}
    return SCHEDULES[schedule](**given)
