"""Verified promotion and rollback: what gets deployed is exactly what was tested.

Before ``champion`` moves to a version, its artifact is downloaded back from the registry and
(1) its SHA-256 must equal the one recorded when it was validated, and (2) its accuracy on the test
split, re-run from the downloaded file, must equal the validated accuracy. The move itself is a
compare-and-set under a lock: it happens only if ``champion`` still points where the caller saw it.
"""

import hashlib
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from prunegate.data.splits import data_sha256
from prunegate.errors import DataError, PromotionRefused
from prunegate.registry.locks import promotion_lock
from prunegate.registry.tracking import tracking_errors
from prunegate.registry.versions import (
    CHAMPION,
    champion_version,
    mlflow_client,
    read_stack,
    version_info,
    write_stack,
)

log = logging.getLogger(__name__)

ANY = "any"  # expected_champion value that skips the compare-and-set check


def fetch_verified(model_name: str, version: str) -> bytes:
    """The version's ONNX bytes from the registry, refused unless they are what was validated."""
    import mlflow

    tags = version_info(model_name, version)["tags"]
    where = f"{model_name} v{version}"
    if "artifact.sha256" not in tags or "validated.accuracy" not in tags:
        raise PromotionRefused(f"{where} was not validated by prunegate (no artifact.sha256 or "
                               "validated.accuracy tag): promote only versions a run registered.")
    with tempfile.TemporaryDirectory() as tmp, \
            tracking_errors(mlflow.get_tracking_uri(), f"downloading {where}"):
        path = Path(mlflow.artifacts.download_artifacts(f"models:/{model_name}/{version}",
                                                        dst_path=tmp)) / "model.onnx"
        data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    if sha != tags["artifact.sha256"]:
        raise PromotionRefused(f"{where}'s artifact changed after validation: its SHA-256 is "
                               f"{sha[:12]}…, validated was {tags['artifact.sha256'][:12]}…. "
                               "Refused; re-run the recipe to validate a new version.")
    return data


def fetch_for_gate(model_name: str, version: str, role: str) -> bytes:
    """A registered version's verified bytes as a gate input; an unverifiable one means the gate
    cannot be evaluated (exit 2), not that it failed."""
    try:
        return fetch_verified(model_name, version)
    except PromotionRefused as error:
        fix = ("Fix: `prunegate rollback`, or promote a verified version with `prunegate "
               "promote --version N`." if role == "champion" else
               "Fix: gate a version a prunegate run registered and nobody changed since.")
        raise DataError(f"{model_name} v{version} cannot serve as the gate's {role}: {error} "
                        f"{fix}") from error


def verify(model_name: str, version: str, test: dict[str, np.ndarray] | None) -> dict[str, Any]:
    """Download the version and re-check it against what was validated; returns the evidence."""
    from prunegate.evaluation.latency import make_session
    from prunegate.evaluation.metrics import predict_onnx

    data = fetch_verified(model_name, version)
    tags = version_info(model_name, version)["tags"]
    where = f"{model_name} v{version}"
    evidence = {"sha256": hashlib.sha256(data).hexdigest()}
    if test is not None:
        if tags.get("data.test_sha256") not in (None, data_sha256(test)):
            raise PromotionRefused(f"the test split differs from the one {where} was validated "
                                   "on; re-run the recipe so both use the same data.")
        accuracy = float((predict_onnx(make_session(data), test["x"]) == test["y"]).mean())
        if abs(accuracy - float(tags["validated.accuracy"])) > 1e-9:
            raise PromotionRefused(f"{where} scores {accuracy:.4f} on the test split from the "
                                   f"registry's copy, but {tags['validated.accuracy']} when "
                                   "validated. Promotion refused.")
        evidence["accuracy"] = accuracy
    return evidence


def promote(model_name: str, version: str, test: dict[str, np.ndarray] | None,
            expected_champion: str | None = ANY, reason: str = "promote") -> dict[str, Any]:
    """Verify ``version`` and move ``champion`` to it if it still points at ``expected_champion``
    (None: there must be no champion yet; ``ANY``: skip that check)."""
    import mlflow

    tags = version_info(model_name, version)["tags"]
    if tags.get("gate.passed") != "true":
        raise PromotionRefused(f"{model_name} v{version} did not pass its gate "
                               f"(gate.passed={tags.get('gate.passed')}); it is not promoted.")
    evidence = verify(model_name, version, test)
    uri = mlflow.get_tracking_uri()
    with promotion_lock(uri, model_name), tracking_errors(uri, "moving the champion alias"):
        current = champion_version(model_name)
        if expected_champion != ANY and current != expected_champion:
            raise PromotionRefused(
                f"champion of {model_name} moved to v{current} while this run compared against "
                f"{'no champion' if expected_champion is None else 'v' + expected_champion}; "
                f"v{version} was not promoted. Re-run to gate against the new champion.")
        # fault injection for the concurrency test: widen the read-then-move window
        time.sleep(float(os.environ.get("PRUNEGATE_PROMOTION_PAUSE_S", "0")))
        stack, entries = read_stack(model_name)
        mlflow_client().set_registered_model_alias(model_name, CHAMPION, version)
        write_stack(model_name, [*stack, version],
                    [*entries, {"to": version, "from": current, "why": reason, "at": time.time()}])
    log.info("promoted %s v%s to %s (was %s), verified %s", model_name, version, CHAMPION,
             current, evidence)
    return {"version": version, "previous": current, **evidence}


def rollback(model_name: str, test: dict[str, np.ndarray] | None) -> dict[str, Any]:
    """Move ``champion`` back to the previous champion, verified like a promotion."""
    import mlflow

    uri = mlflow.get_tracking_uri()
    with promotion_lock(uri, model_name), tracking_errors(uri, "rolling back"):
        stack, entries = read_stack(model_name)
        current = champion_version(model_name)
        if len(stack) < 2 or stack[-1] != current:
            raise PromotionRefused(f"{model_name} has no previous champion to roll back to "
                                   f"(champion v{current}, history {stack}).")
        previous = stack[-2]
        evidence = verify(model_name, previous, test)
        mlflow_client().set_registered_model_alias(model_name, CHAMPION, previous)
        write_stack(model_name, stack[:-1],
                    [*entries, {"to": previous, "from": current, "why": "rollback",
                                "at": time.time()}])
    log.info("rolled %s back from v%s to v%s", model_name, current, previous)
    return {"version": previous, "previous": current, **evidence}
