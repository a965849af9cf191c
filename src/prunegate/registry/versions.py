"""Registered versions: creating them, reading their tags, comparing them."""

import hashlib
import json
import logging
import subprocess
from typing import Any

from prunegate.errors import DataError, TrackingError
from prunegate.registry.tracking import tracking_errors

log = logging.getLogger(__name__)

CHALLENGER, CHAMPION = "challenger", "champion"
HISTORY_TAG = "champion.history"   # stack of versions that were champion, newest last
LOG_TAG = "champion.log"           # audit trail of every move: promote and rollback
KEEP = 20                          # entries kept in each; MLflow caps a tag at 5,000 characters


def mlflow_client():
    """The MLflow client for the tracking URI set by connect(); shared by the registry modules."""
    import mlflow

    return mlflow.MlflowClient()


def register_deployable(model_uri: str, model_name: str, tags: dict[str, str],
                        card: str = "", model_description: str = "") -> str:
    """Register a logged model as a new version with alias ``challenger`` and its model card as
    the description; returns the version. ``model_description`` describes the registered model
    when it has none yet.

    Either all of it happens or none of it: a version whose tags or alias could not be set is
    deleted again, so no half-registered version is left behind.
    """
    import mlflow

    uri = mlflow.get_tracking_uri()
    with tracking_errors(uri, f"registering {model_name}"):
        version = str(mlflow.register_model(model_uri, model_name, tags=tags).version)
    try:
        with tracking_errors(uri, f"aliasing {model_name} v{version}"):
            client = mlflow_client()
            if card:
                client.update_model_version(model_name, version, description=card)
            if model_description and not client.get_registered_model(model_name).description:
                client.update_registered_model(model_name, description=model_description)
            client.set_registered_model_alias(model_name, CHALLENGER, version)
    except TrackingError:
        try:
            mlflow_client().delete_model_version(model_name, version)
        except Exception:  # the store is gone: say so in the error the user sees
            log.error("could not remove half-registered %s v%s", model_name, version)
        raise
    log.info("registered %s version %s as %s", model_name, version, CHALLENGER)
    return version


def release_tags(recipe: str, model_bytes: bytes, verdict: dict[str, Any],
                 validated_accuracy: float, params: dict[str, Any], test: dict, train_sha256: str,
                 run_id: str) -> dict[str, str]:
    """What a registered version carries so ``promote`` can verify it later: the artifact's
    hash, the accuracy it was validated at, the data and parameters, the gate's figures."""
    from prunegate.data.splits import SplitConfig, data_sha256, split_record
    from prunegate.validators import from_dict

    split = split_record(from_dict(SplitConfig, params.get("data"), "data"))
    return {"recipe": recipe, **{f"split.{key}": str(value) for key, value in split.items()},
            "gate.passed": str(verdict["passed"]).lower(),
            "gate.outcome": verdict.get("outcome", "pass" if verdict["passed"] else "fail"),
            "artifact.sha256": hashlib.sha256(model_bytes).hexdigest(),
            "validated.accuracy": repr(validated_accuracy),
            "params.sha256": hashlib.sha256(json.dumps(params, sort_keys=True,
                                                       default=str).encode()).hexdigest(),
            "data.test_sha256": data_sha256(test), "data.train_sha256": train_sha256,
            "git.commit": git_commit(), "run.id": run_id,
            **{f"gate.{c['name']}": "skipped" if c["value"] is None else f"{c['value']:.6g}"
               for c in verdict["checks"]}}


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=5, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def split_of(model_name: str, version: str) -> dict[str, Any]:
    """A version's split identity, as ``data.splits.unseen_by`` reads it: the hash split's
    record and the hash of the test split it was validated on (missing keys: not recorded)."""
    tags = version_info(model_name, version)["tags"]
    record: dict[str, Any] = {key: tags[f"split.{key}"] for key in ("method", "salt")
                              if f"split.{key}" in tags}
    for key in ("test_fraction", "val_fraction"):
        if f"split.{key}" in tags:
            record[key] = float(tags[f"split.{key}"])
    if "data.test_sha256" in tags:
        record["test_sha256"] = tags["data.test_sha256"]
    return record


def champion_version(model_name: str) -> str | None:
    """The version ``champion`` points at, or None (no model yet, or never promoted)."""
    import mlflow
    from mlflow.exceptions import MlflowException

    with tracking_errors(mlflow.get_tracking_uri(), f"reading {model_name}'s champion"):
        try:
            return str(mlflow_client().get_model_version_by_alias(model_name, CHAMPION).version)
        except MlflowException as error:
            if "RESOURCE_DOES_NOT_EXIST" in str(error.error_code) or "not found" in str(error):
                return None
            raise


def resolve_model_uri(uri: str) -> tuple[str, str]:
    """``models:/<name>@<alias>`` or ``models:/<name>/<version>`` -> (name, version)."""
    import mlflow
    from mlflow.exceptions import MlflowException

    ref = uri.removeprefix("models:/")
    if "@" in ref:
        name, alias = ref.split("@", 1)
        with tracking_errors(mlflow.get_tracking_uri(), f"resolving {uri}"):
            try:
                return name, str(mlflow_client().get_model_version_by_alias(name, alias).version)
            except MlflowException as error:
                raise DataError(f"{uri}: {name} has no alias '{alias}'. See `prunegate models "
                                "status` for its aliases and versions.") from error
    name, _, version = ref.rpartition("/")
    if not name or not version.isdigit():
        raise DataError(f"'{uri}' is not a model URI: use models:/<name>@<alias> or "
                        "models:/<name>/<version>.")
    return name, version_info(name, version)["version"]


def version_info(model_name: str, version: str) -> dict[str, Any]:
    import mlflow
    from mlflow.exceptions import MlflowException

    with tracking_errors(mlflow.get_tracking_uri(), f"reading {model_name} v{version}"):
        try:
            v = mlflow_client().get_model_version(model_name, str(version))
        except MlflowException as error:
            raise DataError(f"{model_name} has no version {version}: see `prunegate models "
                            "status` for the versions there are.") from error
    return {"version": str(v.version), "aliases": sorted(v.aliases), "tags": dict(v.tags),
            "source": v.source, "created": v.creation_timestamp}


def read_stack(model_name: str) -> tuple[list[str], list[dict[str, Any]]]:
    """The champion history stack and the audit log, from the registered model's tags."""
    tags = mlflow_client().get_registered_model(model_name).tags
    return json.loads(tags.get(HISTORY_TAG, "[]")), json.loads(tags.get(LOG_TAG, "[]"))


def write_stack(model_name: str, stack: list[str], entries: list[dict[str, Any]]) -> None:
    client = mlflow_client()
    client.set_registered_model_tag(model_name, HISTORY_TAG, json.dumps(stack[-KEEP:]))
    client.set_registered_model_tag(model_name, LOG_TAG, json.dumps(entries[-KEEP:]))


def status(model_name: str) -> dict[str, Any]:
    """Champion and challenger with their tags, and the champion history."""
    import mlflow
    from mlflow.exceptions import MlflowException

    with tracking_errors(mlflow.get_tracking_uri(), f"reading {model_name}"):
        try:
            model = mlflow_client().get_registered_model(model_name)
        except MlflowException as error:
            raise DataError(f"no registered model '{model_name}' at {mlflow.get_tracking_uri()}: "
                            "run a recipe first (make run).") from error
        aliases = {alias: str(v) for alias, v in model.aliases.items()}
        stack, entries = read_stack(model_name)
    return {"model": model_name, "aliases": aliases,
            "versions": {alias: version_info(model_name, v) for alias, v in aliases.items()},
            "history": stack, "log": entries}


def compare_versions(model_name: str, a: str, b: str) -> list[tuple[str, str, str]]:
    """(tag, value in a, value in b) for every tag either version has."""
    ta, tb = version_info(model_name, a)["tags"], version_info(model_name, b)["tags"]
    return [(key, ta.get(key, "—"), tb.get(key, "—")) for key in sorted(set(ta) | set(tb))]
