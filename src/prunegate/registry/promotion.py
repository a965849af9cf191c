"""Verified promotion and rollback: what gets deployed is exactly what was tested.

Before ``champion`` moves to a version, its artifact is downloaded back from the registry, its
SHA-256 must equal the one recorded when it was validated, and the gate is re-evaluated on that
copy (gate/recheck.py): no verdict is ever read from a tag, which anyone with write access
can edit. The move itself is a compare-and-set under a lock: it happens only if ``champion`` still
points where the caller saw it. The alias moves first and the history follows; a crash between
the two is repaired by the next promotion or rollback (``reconcile``), so they always agree.
"""

import hashlib
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from prunegate.data.splits import data_sha256
from prunegate.errors import DataError, PromotionRefused, TrackingError
from prunegate.gate.config import GateConfig
from prunegate.gate.recheck import recheck
from prunegate.gate.rule import failure_line
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


def onnx_file(model_dir: Path) -> Path:
    """The ONNX file of a downloaded model: artifacts/model.onnx of the served pyfunc
    (registry/serving.py), or model.onnx of a plain ONNX-flavour model."""
    served = model_dir / "artifacts" / "model.onnx"
    return served if served.is_file() else model_dir / "model.onnx"


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
        root = Path(mlflow.artifacts.download_artifacts(f"models:/{model_name}/{version}",
                                                        dst_path=tmp))
        data = onnx_file(root).read_bytes()
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
        _same_test_split(model_name, version, test)
        accuracy = float((predict_onnx(make_session(data), test["x"]) == test["y"]).mean())
        if abs(accuracy - float(tags["validated.accuracy"])) > 1e-9:
            raise PromotionRefused(f"{where} scores {accuracy:.4f} on the test split from the "
                                   f"registry's copy, but {tags['validated.accuracy']} when "
                                   "validated. Promotion refused.")
        evidence["accuracy"] = accuracy
    return evidence


def promote(model_name: str, version: str, test: dict[str, np.ndarray],
            gates: GateConfig, baseline: onnx.ModelProto, expected_champion: str | None = ANY,
            reason: str = "promote") -> dict[str, Any]:
    """Re-gate the registry's copy of ``version`` against ``baseline`` on ``test`` and move
    ``champion`` to it if it still points at ``expected_champion`` (None: there must be no
    champion yet; ``ANY``: skip that check). Promoting the champion again changes nothing."""
    import mlflow

    where = f"{model_name} v{version}"
    data = fetch_verified(model_name, version)
    _same_test_split(model_name, version, test)
    verdict = recheck(onnx.load_from_string(data), baseline, test, gates)
    if not verdict["passed"]:
        raise PromotionRefused(f"{where} does not pass its gate, re-measured from the "
                               f"registry's copy: {failure_line(verdict)}. Not promoted.")
    evidence = {"sha256": hashlib.sha256(data).hexdigest(),
                "rechecked": [c["name"] for c in verdict["checks"]
                              if c["decision"] != "skipped"],
                "accuracy": verdict["accuracy"]}
    uri = mlflow.get_tracking_uri()
    with promotion_lock(uri, model_name), tracking_errors(uri, "moving the champion alias"):
        reconcile(model_name)
        current = champion_version(model_name)
        if current == version:
            log.info("%s is already %s: nothing moved", where, CHAMPION)
            return {"version": version, "previous": current, "already_champion": True,
                    **evidence}
        if expected_champion != ANY and current != expected_champion:
            raise PromotionRefused(
                f"champion of {model_name} moved to v{current} while this run compared against "
                f"{'no champion' if expected_champion is None else 'v' + expected_champion}; "
                f"v{version} was not promoted. Re-run to gate against the new champion.")
        # fault injection for the concurrency test: widen the read-then-move window
        time.sleep(float(os.environ.get("PRUNEGATE_PROMOTION_PAUSE_S", "0")))
        stack, entries = read_stack(model_name)
        # alias first: the alias is what deploys read; a history write lost after it is
        # repaired by reconcile() on the next move
        mlflow_client().set_registered_model_alias(model_name, CHAMPION, version)
        try:
            write_stack(model_name, [*stack, version], [*entries, {
                "to": version, "from": current, "why": reason, "at": time.time()}])
        except Exception as error:
            raise TrackingError(
                f"{where} is champion now, but writing the champion history failed "
                f"({str(error).splitlines()[0][:200]}); the next promote or rollback completes "
                "it. Check the tracking store.") from error
    log.info("promoted %s to %s (was v%s), re-gated: %s", where, CHAMPION, current, evidence)
    return {"version": version, "previous": current, **evidence}


def reconcile(model_name: str) -> bool:
    """Make the history agree with the alias after a move whose history write was lost;
    True when it had to. Called under the promotion lock."""
    current = champion_version(model_name)
    stack, entries = read_stack(model_name)
    if current is None or (stack and stack[-1] == current):
        return False
    if len(stack) >= 2 and stack[-2] == current:   # a rollback's alias move went through
        stack = stack[:-1]
    else:                                          # a promotion's alias move went through
        stack = [*stack, current]
    write_stack(model_name, stack, [*entries, {
        "to": current, "from": None, "at": time.time(),
        "why": "reconciled: the alias had moved but the history write did not complete"}])
    log.warning("%s: champion history repaired to end at v%s", model_name, current)
    return True


def _same_test_split(model_name: str, version: str, test: dict[str, np.ndarray]) -> None:
    recorded = version_info(model_name, version)["tags"].get("data.test_sha256")
    if recorded not in (None, data_sha256(test)):
        raise PromotionRefused(f"the test split differs from the one {model_name} v{version} "
                               "was validated on; re-run the recipe so both use the same data.")


def rollback(model_name: str, test: dict[str, np.ndarray] | None) -> dict[str, Any]:
    """Move ``champion`` back to the previous champion, verified like a promotion."""
    import mlflow

    uri = mlflow.get_tracking_uri()
    with promotion_lock(uri, model_name), tracking_errors(uri, "rolling back"):
        reconcile(model_name)
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
