"""Registry behaviour against a real ``mlflow server`` process."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest

from prunegate import registry
from prunegate.errors import PromotionRefused, TrackingError
from prunegate.gate.config import GateConfig
from prunegate.registry import promotion

from .conftest import register

# plumbing tests: a gate every model here clears (quality floors open, no latency, no size)
OPEN = GateConfig(min_accuracy=0.0, max_accuracy_drop_pp=None, max_latency_ratio=None,
                  max_size_ratio=None)


def promote(store, version, test, baseline, expected_champion, gates=OPEN):
    return registry.promote(store["model"], version, test, gates, baseline, expected_champion)


def aliases(store) -> dict:
    import mlflow
    model = mlflow.MlflowClient().get_registered_model(store["model"])
    return {alias: str(v) for alias, v in model.aliases.items()}


def test_register_sets_challenger_only(store, onnx_models, splits):
    v = register(store, onnx_models[0], splits[2])
    assert aliases(store) == {"challenger": v}
    assert registry.champion_version(store["model"]) is None


def test_verified_promotion_then_rollback_with_history(store, onnx_models, splits):
    test = splits[2]
    v1, v2 = (register(store, m, test) for m in onnx_models[:2])
    first = promote(store, v1, test, onnx_models[0], None)
    assert first["previous"] is None and 0.2 < first["accuracy"] <= 1
    promote(store, v2, test, onnx_models[0], v1)
    assert aliases(store)["champion"] == v2
    back = registry.rollback(store["model"], test)
    assert back == {**back, "version": v1, "previous": v2}
    info = registry.status(store["model"])
    assert info["aliases"]["champion"] == v1 and info["history"] == [v1]
    assert [e["why"] for e in info["log"]][-1] == "rollback"
    with pytest.raises(PromotionRefused, match="no previous champion"):
        registry.rollback(store["model"], test)


def test_tampered_artifact_is_refused(store, onnx_models, splits):
    v = register(store, onnx_models[0], splits[2])
    # change the stored file after validation, as a bad actor or a broken copy would
    stored = [p for p in Path(store["server"].artifacts).rglob("model.onnx")
              if store_version_source(store, v) in str(p)]
    assert len(stored) == 1
    stored[0].write_bytes(stored[0].read_bytes() + b"\x00")
    with pytest.raises(PromotionRefused, match="changed after validation"):
        promote(store, v, splits[2], onnx_models[0], None)
    assert "champion" not in aliases(store)


def store_version_source(store, version) -> str:
    import mlflow
    source = mlflow.MlflowClient().get_model_version(store["model"], version).source
    return source.rsplit("/", 1)[-1]          # models:/m-<id> -> m-<id>, a folder on disk


def test_other_test_data_and_failed_gate_are_refused(store, onnx_models, splits):
    test = splits[2]
    v = register(store, onnx_models[0], test)
    shifted = {"x": test["x"][:100], "y": test["y"][:100]}
    with pytest.raises(PromotionRefused, match="test split differs"):
        promote(store, v, shifted, onnx_models[0], None)
    assert "champion" not in aliases(store)


def test_a_tag_edited_to_passed_cannot_promote_a_failing_version(store, onnx_models, splits):
    import mlflow
    test = splits[2]
    # the 32-wide model is larger than the 16-wide baseline: a size ratio <= 1 must fail
    failed = register(store, onnx_models[2], test, passed=False)
    client = mlflow.MlflowClient()
    client.set_model_version_tag(store["model"], failed, "gate.passed", "true")
    client.set_model_version_tag(store["model"], failed, "gate.max_size_ratio", "0.01")
    sized = GateConfig(min_accuracy=0.0, max_accuracy_drop_pp=None, max_latency_ratio=None,
                       max_size_ratio=1.0)
    with pytest.raises(PromotionRefused, match=r"re-measured from the registry's copy: "
                       r"max_size_ratio: size_bytes ratio vs baseline = \d\.\d+"):
        promote(store, failed, test, onnx_models[0], None, gates=sized)
    assert "champion" not in aliases(store)
    # against a baseline of its own size it passes: the re-measured gate decides, not tags
    assert promote(store, failed, test, onnx_models[2], None, gates=sized)["version"] == failed


def test_stale_expected_champion_is_a_conflict(store, onnx_models, splits):
    test = splits[2]
    v1, v2, v3 = (register(store, m, test) for m in onnx_models)
    promote(store, v1, test, onnx_models[0], None)
    promote(store, v2, test, onnx_models[0], v1)
    with pytest.raises(PromotionRefused, match=f"moved to v{v2} while this run compared"):
        promote(store, v3, test, onnx_models[0], v1)
    assert aliases(store)["champion"] == v2


PROMOTE = """
import sys, numpy as np, onnx
from prunegate import registry
from prunegate.gate.config import GateConfig
OPEN = GateConfig(min_accuracy=0.0, max_accuracy_drop_pp=None, max_latency_ratio=None,
                  max_size_ratio=None)
registry.connect(registry.TrackingConfig(experiment="registry-tests"))
split = dict(np.load(sys.argv[3]))
try:
    baseline = onnx.load(sys.argv[5])
    registry.promote(sys.argv[1], sys.argv[2], split, OPEN, baseline, sys.argv[4])
    print("promoted")
except Exception as error:
    print("refused:", error)
"""


def test_two_processes_promoting_at_once_never_lose_an_update(store, onnx_models, splits,
                                                               tmp_path):
    test = splits[2]
    v1, v2, v3 = (register(store, m, test) for m in onnx_models)
    promote(store, v1, test, onnx_models[0], None)
    np.savez(tmp_path / "test.npz", **test)
    onnx.save(onnx_models[0], str(tmp_path / "baseline.onnx"))
    # both compared against v1; exactly one may move champion, the other must see the move
    procs = [subprocess.Popen([sys.executable, "-c", PROMOTE, store["model"], v,
                               str(tmp_path / "test.npz"), v1, str(tmp_path / "baseline.onnx")],
                              stdout=subprocess.PIPE,
                              text=True, env={**os.environ, "PRUNEGATE_PROMOTION_PAUSE_S": "3"})
             for v in (v2, v3)]
    outputs = [p.communicate(timeout=120)[0].strip().splitlines()[-1] for p in procs]
    assert sorted(o.split(":")[0] for o in outputs) == ["promoted", "refused"], outputs
    winner = (v2, v3)[[o.startswith("promoted") for o in outputs].index(True)]
    assert aliases(store)["champion"] == winner
    assert registry.status(store["model"])["history"] == [v1, winner]


def test_champion_serves_through_pyfunc(store, onnx_models, splits):
    import mlflow
    test = splits[2]
    v = register(store, onnx_models[2], test)
    result = promote(store, v, test, onnx_models[0], None)
    model = mlflow.pyfunc.load_model(f"models:/{store['model']}@champion")
    logits = np.asarray(model.predict({"input": test["x"]})["logits"])
    assert (logits.argmax(1) == test["y"]).mean() == result["accuracy"]


def test_promoting_the_champion_again_changes_nothing(store, onnx_models, splits):
    test = splits[2]
    v = register(store, onnx_models[0], test)
    promote(store, v, test, onnx_models[0], None)
    again = promote(store, v, test, onnx_models[0], v)
    assert again["already_champion"] is True
    info = registry.status(store["model"])
    assert info["history"] == [v] and len(info["log"]) == 1


def test_a_crash_between_alias_and_history_is_repaired_by_the_next_move(store, onnx_models,
                                                                        splits, monkeypatch):
    test = splits[2]
    v1, v2, v3 = (register(store, m, test) for m in onnx_models)
    promote(store, v1, test, onnx_models[0], None)

    def lost(*args):  # the process dies after the alias moved, before the history is written
        raise ConnectionError("the store went away")

    with monkeypatch.context() as patch:
        patch.setattr(promotion, "write_stack", lost)
        with pytest.raises(TrackingError, match=f"v{v2} is champion now, but writing the "
                           "champion history failed"):
            promote(store, v2, test, onnx_models[0], v1)
    assert aliases(store)["champion"] == v2
    assert registry.status(store["model"])["history"] == [v1]      # out of step, for now
    promote(store, v3, test, onnx_models[0], v2)                     # the re-run repairs it
    info = registry.status(store["model"])
    assert info["history"] == [v1, v2, v3] and aliases(store)["champion"] == v3
    assert any(e["why"].startswith("reconciled") for e in info["log"])
    assert registry.rollback(store["model"], test)["version"] == v2


def test_identical_bytes_reuse_their_version(store, onnx_models, splits):
    from prunegate.registry.release import register as register_release
    test = splits[2]
    v = register(store, onnx_models[0], test)
    logged = []
    again, reused = register_release(store["model"], onnx_models[0].SerializeToString(),
                                     {"run.id": "r2", "gate.outcome": "fail"},
                                     lambda: logged.append(1) or "unused")
    assert (again, reused, logged) == (v, True, [])
    tags = registry.status(store["model"])["versions"]["challenger"]["tags"]
    assert (tags["revalidated.run.id"], tags["revalidated.outcome"]) == ("r2", "fail")
    assert tags["gate.passed"] == "true"        # the validation that registered it stays
    other, reused = register_release(store["model"], onnx_models[1].SerializeToString(), {},
                                      lambda: _log(onnx_models[1], test))
    assert reused is False and int(other) == int(v) + 1


def _log(model, test) -> str:
    import mlflow
    with mlflow.start_run():
        return mlflow.onnx.log_model(model, name="deployable", input_example=test["x"][:1],
                                     save_as_external_data=False).model_uri


def test_release_registers_then_promotes_only_a_passed_gate(store, onnx_models, splits):
    import mlflow

    from prunegate.registry import release as releases
    test = splits[2]

    def log(model):
        def log_model() -> str:
            with mlflow.start_run():
                return mlflow.onnx.log_model(model, name="deployable",
                                             input_example=test["x"][:1],
                                             save_as_external_data=False).model_uri
        return log_model

    def tags(model) -> dict[str, str]:
        import hashlib
        return {"artifact.sha256": hashlib.sha256(model.SerializeToString()).hexdigest(),
                "validated.accuracy": "0.5"}

    champion = releases.champion_at_start(store["model"])
    assert champion == releases.Champion()                      # a first run: none yet
    failed = {"passed": False, "outcome": "fail", "checks": []}
    out = releases.register_release(store["model"], onnx_models[1], failed,
                                    tags(onnx_models[1]), log(onnx_models[1]), champion)
    out = releases.promote_release(out, test, OPEN, onnx_models[0], "test")
    assert (out.promoted, out.gate_passed, out.champion_at_start) == (False, False, None)
    passed = {"passed": True, "outcome": "pass", "checks": []}
    out = releases.register_release(store["model"], onnx_models[0], passed,
                                    tags(onnx_models[0]), log(onnx_models[0]), champion)
    out = releases.promote_release(out, test, OPEN, onnx_models[0], "test")
    assert out.promoted and aliases(store)["champion"] == out.version
    again = releases.champion_at_start(store["model"])
    assert again.version == out.version
    assert again.model.SerializeToString() == onnx_models[0].SerializeToString()
