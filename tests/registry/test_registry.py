"""Registry behaviour against a real ``mlflow server`` process."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from prunegate import registry
from prunegate.errors import PromotionRefused

from .conftest import register


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
    first = registry.promote(store["model"], v1, test, expected_champion=None)
    assert first["previous"] is None and 0.2 < first["accuracy"] <= 1
    registry.promote(store["model"], v2, test, expected_champion=v1)
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
        registry.promote(store["model"], v, splits[2], expected_champion=None)
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
        registry.promote(store["model"], v, shifted, expected_champion=None)
    failed = register(store, onnx_models[1], test, passed=False)
    with pytest.raises(PromotionRefused, match="did not pass its gate"):
        registry.promote(store["model"], failed, test, expected_champion=None)
    assert "champion" not in aliases(store)


def test_stale_expected_champion_is_a_conflict(store, onnx_models, splits):
    test = splits[2]
    v1, v2, v3 = (register(store, m, test) for m in onnx_models)
    registry.promote(store["model"], v1, test, expected_champion=None)
    registry.promote(store["model"], v2, test, expected_champion=v1)
    with pytest.raises(PromotionRefused, match=f"moved to v{v2} while this run compared"):
        registry.promote(store["model"], v3, test, expected_champion=v1)
    assert aliases(store)["champion"] == v2


PROMOTE = """
import sys, numpy as np
from prunegate import registry
registry.connect(registry.TrackingConfig(experiment="registry-tests"))
split = dict(np.load(sys.argv[3]))
try:
    registry.promote(sys.argv[1], sys.argv[2], split, expected_champion=sys.argv[4])
    print("promoted")
except Exception as error:
    print("refused:", error)
"""


def test_two_processes_promoting_at_once_never_lose_an_update(store, onnx_models, splits,
                                                               tmp_path):
    test = splits[2]
    v1, v2, v3 = (register(store, m, test) for m in onnx_models)
    registry.promote(store["model"], v1, test, expected_champion=None)
    np.savez(tmp_path / "test.npz", **test)
    # both compared against v1; exactly one may move champion, the other must see the move
    procs = [subprocess.Popen([sys.executable, "-c", PROMOTE, store["model"], v,
                               str(tmp_path / "test.npz"), v1], stdout=subprocess.PIPE,
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
    result = registry.promote(store["model"], v, test, expected_champion=None)
    model = mlflow.pyfunc.load_model(f"models:/{store['model']}@champion")
    logits = np.asarray(model.predict({"input": test["x"]})["logits"])
    assert (logits.argmax(1) == test["y"]).mean() == result["accuracy"]
