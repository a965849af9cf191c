import numpy as np
import onnx
import pytest
import torch

from prunegate.compression.quantize import (
    QuantizeConfig,
    choose_variant,
    quantize_measured,
    speed_note,
)
from prunegate.errors import ConfigError
from prunegate.evaluation.latency import make_session
from prunegate.evaluation.metrics import predict_onnx
from prunegate.onnx_io.export import export_onnx
from prunegate.onnx_io.graph import compact_names


def timings(rng, p50: dict[str, float], rounds: int = 300, noise: float = 0.15) -> dict:
    """Per-round samples around each variant's p50; a shared per-round factor, as a machine
    that slows down for a moment slows every variant of that round."""
    shared = rng.lognormal(0.0, noise, rounds)
    return {label: value * shared * rng.lognormal(0.0, noise, rounds)
            for label, value in p50.items()}


def test_choose_variant_prefers_small_unless_measurably_slower():
    rng = np.random.default_rng(0)
    sizes = {"fp32": 100, "int8:Gemm": 30, "int8:Conv+Gemm": 25}
    samples = timings(rng, {"fp32": 1.00, "int8:Gemm": 1.04, "int8:Conv+Gemm": 2.4})
    assert choose_variant(sizes, samples, 0.25)[0] == "int8:Gemm"       # 4% slower, 3x smaller
    assert choose_variant(sizes, samples, 2.0)[0] == "int8:Conv+Gemm"   # size at any cost
    samples = timings(rng, {"fp32": 1.00, "int8:Gemm": 1.6, "int8:Conv+Gemm": 2.4})
    chosen, rows = choose_variant(sizes, samples, 0.25)
    assert chosen == "fp32"                                  # int8 measurably loses here
    assert rows["int8:Gemm"]["too_slow"] and rows["int8:Gemm"]["p50_ratio_ci"][0] > 1.25
    assert rows["fp32"]["p50_ratio"] == 1.0 and not rows["fp32"]["too_slow"]


def test_within_the_noise_the_choice_does_not_flip():
    """int8 exactly at the tolerance: its interval straddles the limit in every draw, so the
    smaller file wins every time (a point-estimate rule flips about half the time here)."""
    sizes = {"fp32": 100, "int8:Gemm": 30}
    picks = {choose_variant(sizes, timings(np.random.default_rng(seed),
                                           {"fp32": 1.0, "int8:Gemm": 1.25}), 0.25)[0]
             for seed in range(20)}
    assert picks == {"int8:Gemm"}
    # equal sizes: the variant with fewer int8 op types, whatever the timing says
    same = {"int8:Gemm": 30, "int8:Conv+Gemm": 30}
    assert {choose_variant(same, timings(np.random.default_rng(seed),
                                         {"int8:Gemm": 1.0, "int8:Conv+Gemm": 1.0}), 0.25)[0]
            for seed in range(10)} == {"int8:Gemm"}


def test_the_recorded_choice_replays_to_the_same_bytes_without_timing(splits):
    from prunegate.models import build_model
    torch.manual_seed(0)
    fp32 = export_onnx(build_model("lenet5", channels=[3, 8], hidden=[60, 42]), (1, 28, 28))
    calib = splits[0]["x"][:64]
    auto, report = quantize_measured(fp32, calib, QuantizeConfig(calibration_samples=64,
                                                                 timing_repeats=20))
    assert report["measured"] and report["rule"] and report["chosen"] in report["variants"]
    pin = report["pin"]["quantize.op_types"]
    replayed, again = quantize_measured(fp32, calib, QuantizeConfig(
        op_types=pin, calibration_samples=64, timing_repeats=20))
    assert not again["measured"] and again["chosen"] == report["chosen"]
    assert replayed.SerializeToString() == auto.SerializeToString()
    # [] is the recorded form of "fp32 won": the graph goes out as it came in (names compacted
    # unless compact_names is off)
    kept, none = quantize_measured(fp32, calib, QuantizeConfig(op_types=[], timing_repeats=20))
    assert none["chosen"] == "fp32"
    assert kept.SerializeToString() == compact_names(fp32).SerializeToString()
    kept, _ = quantize_measured(fp32, calib, QuantizeConfig(op_types=[], timing_repeats=20,
                                                            compact_names=False))
    assert kept.SerializeToString() == fp32.SerializeToString()


def test_static_int8_agrees_with_fp32_and_is_smaller(trained_mlp, splits):
    train, _, test = splits
    fp32 = export_onnx(trained_mlp, (1, 28, 28))
    int8, report = quantize_measured(fp32, train["x"], QuantizeConfig(op_types=["Gemm"],
                                                                      timing_repeats=20))
    # the pin is the only candidate; fp32 is timed beside it for the speed note, never chosen
    assert set(report["variants"]) == {"int8:Gemm", "fp32"} and report["chosen"] == "int8:Gemm"
    assert report["speed_note"].startswith("int8:Gemm is ")
    assert int8.ByteSize() < 0.3 * fp32.ByteSize()
    assert {"QuantizeLinear", "DequantizeLinear"} <= {n.op_type for n in int8.graph.node}
    a = predict_onnx(make_session(fp32.SerializeToString()), test["x"])
    b = predict_onnx(make_session(int8.SerializeToString()), test["x"])
    assert (a == b).mean() >= 0.98        # the stated bound: at most 2% of predictions change


def test_auto_measures_every_mix_of_op_types(splits):
    from prunegate.models import build_model
    model = build_model("lenet5", channels=[3, 8], hidden=[60, 42])
    fp32 = export_onnx(model, (1, 28, 28))
    chosen, report = quantize_measured(fp32, splits[0]["x"][:64],
                                       QuantizeConfig(calibration_samples=64, timing_repeats=20))
    assert set(report["variants"]) == {"fp32", "int8:Conv", "int8:Gemm", "int8:Conv+Gemm"}
    assert report["chosen"] in report["variants"]
    assert chosen.ByteSize() == report["variants"][report["chosen"]]["size_bytes"]
    onnx.checker.check_model(chosen)


@pytest.mark.parametrize("bad, match", [({"op_types": ["Relu"]}, "op_types"),
                                        ({"op_types": "Gemm"}, "op_types"),
                                        ({"mode": "qat", "op_types": []}, "keeps fp32"),
                                        ({"calibration": "magic"}, "calibration")])
def test_bad_quantize_config_is_rejected(bad, match):
    with pytest.raises(ConfigError, match=match):
        QuantizeConfig(**bad)


def test_export_has_a_dynamic_batch(trained_mlp):
    session = make_session(export_onnx(trained_mlp, (1, 28, 28)).SerializeToString())
    out = session.run(None, {"input": np.zeros((7, 1, 28, 28), np.float32)})[0]
    assert out.shape == (7, 10)


def test_dynamic_int8_quantizes_the_linear_layers_and_agrees_with_fp32(trained_mlp, splits):
    test = splits[2]
    fp32 = export_onnx(trained_mlp, (1, 28, 28))
    int8, report = quantize_measured(fp32, splits[0]["x"][:8], QuantizeConfig(
        mode="dynamic", op_types=["Gemm"], timing_repeats=20))
    assert report["mode"] == "dynamic" and report["chosen"] == "int8-dynamic:Gemm"
    assert set(report["variants"]) == {"int8-dynamic:Gemm", "fp32"}
    assert "MatMulInteger" in {n.op_type for n in int8.graph.node}
    assert int8.ByteSize() < 0.3 * fp32.ByteSize()
    a = predict_onnx(make_session(fp32.SerializeToString()), test["x"])
    b = predict_onnx(make_session(int8.SerializeToString()), test["x"])
    assert (a == b).mean() >= 0.98


def test_gemm_to_matmul_is_exact(trained_mlp, splits):
    from prunegate.onnx_io.graph import gemm_to_matmul
    fp32 = export_onnx(trained_mlp, (1, 28, 28))
    rewritten = gemm_to_matmul(fp32)
    assert "Gemm" not in {n.op_type for n in rewritten.graph.node}
    x = splits[2]["x"][:32]
    a = make_session(fp32.SerializeToString()).run(None, {"input": x})[0]
    b = make_session(rewritten.SerializeToString()).run(None, {"input": x})[0]
    assert np.allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("calibration", ["entropy", "percentile"])
def test_every_calibration_method_calibrates_and_agrees(trained_mlp, splits, calibration):
    fp32 = export_onnx(trained_mlp, (1, 28, 28))
    int8, _ = quantize_measured(fp32, splits[0]["x"], QuantizeConfig(
        op_types=["Gemm"], calibration=calibration, calibration_samples=128, timing_repeats=20))
    a = predict_onnx(make_session(fp32.SerializeToString()), splits[2]["x"])
    b = predict_onnx(make_session(int8.SerializeToString()), splits[2]["x"])
    assert (a == b).mean() >= 0.97


@pytest.mark.parametrize("bad, match", [
    ({"mode": "int4"}, "Choose one of: static, dynamic, qat, qap"),
    ({"mode": "dynamic", "op_types": ["Conv"]}, "mode dynamic"),
])
def test_unknown_or_contradictory_quantize_modes_are_refused(bad, match):
    with pytest.raises(ConfigError, match=match):
        QuantizeConfig(**bad)


@pytest.mark.parametrize("op_types, integer_matmuls, int8_embedding", [
    (["Gemm"], 1, False),            # the classifier only
    (["MatMul"], 8, False),          # 2 blocks x (qkv, proj, 2 MLP linears)
    (["Gather"], 0, True),           # the embedding table only
    (["Gather", "Gemm", "MatMul"], 9, True),
])
def test_dynamic_int8_quantizes_exactly_the_op_types_it_names(op_types, integer_matmuls,
                                                              int8_embedding):
    """Torch exports a Linear on tokens (3-D) as MatMul and the classifier as Gemm; a variant
    named int8-dynamic:Gemm must not quantize the MatMuls too (it once did: every dynamic
    variant was the same file under a different name)."""
    from prunegate.compression.quantize import quantize_dynamic
    from prunegate.models import ModelConfig

    torch.manual_seed(0)
    model = ModelConfig(name="text_encoder_mini").build(
        (2, 16), 4, {"inputs": ["input_ids", "attention_mask"], "vocab_size": 100})
    int8 = quantize_dynamic(export_onnx(model, (2, 16)), op_types, QuantizeConfig(mode="dynamic"))
    ops = [n.op_type for n in int8.graph.node]
    assert ops.count("MatMulInteger") == integer_matmuls
    embedding = [i for i in int8.graph.initializer if tuple(i.dims) == (100, 64)]
    eight_bit = (onnx.TensorProto.INT8, onnx.TensorProto.UINT8)  # ORT stores Gather's as u8
    assert (embedding[0].data_type in eight_bit) == int8_embedding


def test_the_speed_note_says_what_int8_costs_and_how_to_make_speed_win():
    rows = {"fp32": {"p50_ms": 0.010, "size_bytes": 66560},
            "int8:Gemm": {"p50_ms": 0.0109, "size_bytes": 25600}}
    slower = speed_note(rows, "int8:Gemm", (1.05, 1.12), pinned=True)
    assert slower == ("int8:Gemm is 9% slower than fp32, kept for size (pinned by "
                      "quantize.op_types; quantize.op_types: auto with quantize.prefer: latency "
                      "makes speed win): 65.0 -> 25.0 KB")
    assert "within quantize.latency_tolerance; quantize.prefer: latency" in speed_note(
        rows, "int8:Gemm", (1.05, 1.12), pinned=False)
    assert "as fast as fp32 within the noise (+9%)" in speed_note(
        rows, "int8:Gemm", (0.97, 1.12), pinned=True)
    rows["int8:Gemm"]["p50_ms"] = 0.008
    assert speed_note(rows, "int8:Gemm", (0.75, 0.85), pinned=False).startswith(
        "int8:Gemm is 20% faster than fp32")
    assert speed_note(rows, "fp32", None, pinned=False) is None


def test_prefer_latency_drops_a_measurably_slower_smaller_file(trained_mlp, splits):
    # int8 10% slower than fp32 in every round: within a 25% tolerance, but measurably slower
    rng = np.random.default_rng(0)
    fp32 = 0.010 + rng.normal(0, 1e-4, 400)
    samples = {"fp32": fp32, "int8:Gemm": fp32 * 1.10}
    sizes = {"fp32": 66560, "int8:Gemm": 25600}
    assert choose_variant(sizes, samples, tolerance=0.25)[0] == "int8:Gemm"
    assert choose_variant(sizes, samples, tolerance=0.0)[0] == "fp32"
    assert QuantizeConfig(prefer="latency").prefer == "latency"
    with pytest.raises(ConfigError, match="quantize.prefer"):
        QuantizeConfig(prefer="speed")
    # the stage reads it as no tolerance at all, and says so in its report
    _, report = quantize_measured(export_onnx(trained_mlp, (1, 28, 28)), splits[0]["x"][:64],
                                  QuantizeConfig(prefer="latency", timing_repeats=20))
    assert report["prefer"] == "latency" and report["tolerance"] == 0.0
