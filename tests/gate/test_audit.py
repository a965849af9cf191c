import numpy as np

from prunegate.evaluation.latency import make_session
from prunegate.evaluation.metrics import predict_onnx
from prunegate.gate.audit import bigger, run_gate_audit, slower
from prunegate.models import build_model
from prunegate.onnx_io.export import export_onnx


def test_injections_change_only_what_they_claim(trained_mlp, splits):
    # How much slower the latency injection makes a model is a timing: `prunegate bench
    # --audit` measures it; this test checks what the injections change and what they keep.
    model = export_onnx(trained_mlp, (1, 28, 28))
    x = splits[2]["x"][:200]
    base = predict_onnx(make_session(model.SerializeToString()), x)
    slow = slower(model, 16)
    assert len(slow.graph.node) == len(model.graph.node) + 2 * 16 + 1
    assert [o.name for o in slow.graph.output] == [o.name for o in model.graph.output]
    assert np.array_equal(predict_onnx(make_session(slow.SerializeToString()), x), base)
    big = bigger(model)
    assert 1.09 < big.ByteSize() / model.ByteSize() < 1.11
    assert np.array_equal(predict_onnx(make_session(big.SerializeToString()), x), base)


def test_audit_flags_injected_regressions_and_not_the_same_candidate(trained_mlp, splits):
    candidate = export_onnx(trained_mlp, (1, 28, 28))
    baseline = export_onnx(build_model("lenet_300_100"), (1, 28, 28))
    result = run_gate_audit(candidate, baseline, splits[2], runs=1, repeats=1500)
    same, injected = result["same_candidate"], result["injected"]
    # Accuracy and size do not depend on timing, so their decisions are asserted. Latency is a
    # timing on a shared machine: a latency check may be undecided here (CI of 2026-12-03 had one),
    # so it is only counted; `prunegate gate-audit` reports its rates.
    assert same["false_failures"] == 0
    assert same["checks"]["accuracy_vs_champion"] == {"pass": 1}
    assert same["checks"]["size_vs_champion"] == {"pass": 1}
    # 1% flipped against a 0.5 pp budget: failed, or undecided where the test split is too
    # small to resolve it; either way not passed
    assert "pass" not in injected["accuracy"]["checks"]["accuracy_vs_champion"]
    assert injected["size"]["checks"]["size_vs_champion"] == {"fail": 1}
    assert {k: v["caught"] for k, v in injected.items() if k != "latency"} == {
        "accuracy": 1, "size": 1}
    latency = injected["latency"]["checks"]["latency_vs_champion"]
    assert sum(latency.values()) == 1 and "skipped" not in latency
    # caught is "not passed": failed, or undecided; both are counted
    assert all(v["failed"] + v["undecided"] == v["caught"] for v in injected.values())
