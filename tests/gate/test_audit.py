import numpy as np

from prunegate.evaluation.latency import make_session, measure_interleaved
from prunegate.evaluation.metrics import predict_onnx
from prunegate.gate.audit import bigger, run_gate_audit, slower
from prunegate.models import build_model
from prunegate.onnx_io.export import export_onnx


def test_injections_change_only_what_they_claim(trained_mlp, splits):
    model = export_onnx(trained_mlp, (1, 28, 28))
    x = splits[2]["x"][:200]
    base = predict_onnx(make_session(model.SerializeToString()), x)
    slow = slower(model, 16)
    assert np.array_equal(predict_onnx(make_session(slow.SerializeToString()), x), base)
    t = measure_interleaved({"a": make_session(model.SerializeToString()),
                             "b": make_session(slow.SerializeToString())}, x[:1], repeats=300)
    assert t["b"].p50_ms > 1.1 * t["a"].p50_ms
    big = bigger(model)
    assert 1.09 < big.ByteSize() / model.ByteSize() < 1.11
    assert np.array_equal(predict_onnx(make_session(big.SerializeToString()), x), base)


def test_audit_flags_injected_regressions_and_not_the_same_candidate(trained_mlp, splits):
    candidate = export_onnx(trained_mlp, (1, 28, 28))
    baseline = export_onnx(build_model("lenet_300_100"), (1, 28, 28))
    result = run_gate_audit(candidate, baseline, splits[2], runs=1, repeats=1500)
    assert result["same_candidate"] == {"runs": 1, "false_failures": 0, "undecided": 0}
    assert {k: (v["runs"], v["caught"]) for k, v in result["injected"].items()} == {
        k: (1, 1) for k in ("accuracy", "latency", "size")}
    # caught is "not passed": failed, or undecided; both are counted
    assert all(v["failed"] + v["undecided"] == v["caught"] for v in result["injected"].values())
