"""One promotion policy: fetch the champion, (the caller gates), register, promote on pass.

The Kedro hook, ``prunegate search`` and anything else that releases a model call these, so a
release means the same wherever it starts:
- the champion the gate compares against is read once, at the start, with verified bytes; the
  promotion later compare-and-sets on exactly that version;
- identical bytes are never registered twice: a version whose artifact has the same SHA-256 is
  reused (it becomes challenger, and ``revalidated.*`` tags name the new run and its outcome);
- ``champion`` moves only when the gate passed, promotion is on, and the registry's copy passes
  the gate again (promotion.promote re-measures it).
"""

import hashlib
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import onnx

from prunegate.gate.config import GateConfig
from prunegate.gate.rule import failure_line
from prunegate.registry.promotion import fetch_for_gate, promote
from prunegate.registry.tracking import tracking_errors
from prunegate.registry.versions import (
    CHALLENGER,
    champion_version,
    mlflow_client,
    register_deployable,
    split_of,
)

log = logging.getLogger(__name__)


@dataclass
class Champion:
    version: str | None = None
    model: onnx.ModelProto | None = None
    split: dict[str, Any] | None = None  # its split identity, for data.splits.unseen_by


def champion_at_start(model_name: str) -> Champion:
    """The current champion with its verified bytes, or an empty Champion on a first run."""
    version = champion_version(model_name)
    if version is None:
        return Champion()
    return Champion(version, onnx.load_from_string(fetch_for_gate(model_name, version,
                                                                  "champion")),
                    split_of(model_name, version))


@dataclass
class Release:
    model: str
    version: str
    gate_passed: bool
    outcome: str
    champion_at_start: str | None
    promoted: bool = False
    reused: bool = False   # identical bytes were registered before: that version was reused
    why: str = ""

    def record(self) -> dict[str, Any]:
        return asdict(self)


def existing_version(model_name: str, sha256: str) -> str | None:
    """The newest version whose artifact has this SHA-256, if any."""
    import mlflow

    with tracking_errors(mlflow.get_tracking_uri(), f"searching {model_name}'s versions"):
        versions = mlflow_client().search_model_versions(f"name='{model_name}'")
    same = [int(v.version) for v in versions if v.tags.get("artifact.sha256") == sha256]
    return str(max(same)) if same else None


def register(model_name: str, model_bytes: bytes, tags: dict[str, str],
             log_model: Callable[[], str], card: str = "",
             model_description: str = "") -> tuple[str, bool]:
    """(version, reused): a new version for new bytes, the existing one for identical bytes.
    ``log_model`` logs the artifact and returns its URI; called only for new bytes. ``card``
    becomes a new version's description."""
    import mlflow

    sha = hashlib.sha256(model_bytes).hexdigest()
    version = existing_version(model_name, sha)
    if version is None:
        return register_deployable(log_model(), model_name, tags, card,
                                   model_description), False
    client = mlflow_client()
    # its own tags stay: they record the validation that registered it (and promotion never
    # reads a verdict from tags anyway); the new run is recorded beside them
    revalidated = {"revalidated.run.id": tags.get("run.id", ""),
                   "revalidated.outcome": tags.get("gate.outcome", "")}
    with tracking_errors(mlflow.get_tracking_uri(), f"re-tagging {model_name} v{version}"):
        for key, value in revalidated.items():
            client.set_model_version_tag(model_name, version, key, value)
        client.set_registered_model_alias(model_name, CHALLENGER, version)
    log.info("%s v%s has these exact bytes (SHA-256 %s…): reused, not registered again",
             model_name, version, sha[:12])
    return version, True


def register_release(model_name: str, candidate: onnx.ModelProto, verdict: dict[str, Any],
            tags: dict[str, str], log_model: Callable[[], str], champion: Champion,
            card: str = "", model_description: str = "") -> Release:
    """Register the gated candidate as challenger (or reuse the version with its bytes)."""
    version, reused = register(model_name, candidate.SerializeToString(), tags, log_model,
                               card, model_description)
    return Release(model_name, version, verdict["passed"], verdict["outcome"],
                   champion.version, reused=reused, why=failure_line(verdict))


def promote_release(result: Release, test: dict[str, np.ndarray], gates: GateConfig,
                    baseline: onnx.ModelProto, reason: str) -> Release:
    """Move ``champion`` to a release whose gate passed, compare-and-set on the champion it
    was gated against; the registry's copy is re-gated first (promotion.promote)."""
    if not result.gate_passed:
        return result
    moved = promote(result.model, result.version, test, gates, baseline,
                    result.champion_at_start, reason)
    result.promoted = not moved.get("already_champion", False)
    return result


__all__ = ["Champion", "Release", "champion_at_start", "existing_version", "promote_release",
           "register", "register_release"]
