"""The benchmark's arithmetic: summary over seeds, speed-ups per seed, targets, the order of
interleaved calls. Synthetic rows, so every figure is known."""

import numpy as np
import pytest

from prunegate.benchmark.recipes import compression_seconds
from prunegate.evaluation.latency import measure_interleaved
from prunegate.reporting.benchmark import (
    DENSE_EAGER,
    DENSE_ONNX,
    markdown_table,
    summarise,
    targets,
)


def _row(method, seed, acc, p50, size=1000, gz=900, gate=None):
    return {"model": "m", "method": method, "seed": seed, "accuracy": acc, "p50_ms_b1": p50,
            "p95_ms_b1": p50 * 1.2, "p50_ms_b32": p50 * 4, "p95_ms_b32": p50 * 5,
            "size_bytes": size, "size_compressed_bytes": gz, "size_ratio": size / 100_000,
            "size_compressed_ratio": gz / 90_000, "macs": 1, "params": 1, "nonzero_params": 1,
            "compression_seconds": 1.0, "note": "", "gate_passed": gate}


def _rows(ours_size=1000, ours_acc=(0.93, 0.93), ours_p50=0.02, peer_acc=0.92):
    rows = []
    for seed, (acc, dense_p50) in enumerate(zip(ours_acc, (0.05, 0.10), strict=True)):
        rows += [_row(DENSE_ONNX, seed, 0.93, dense_p50, 100_000, 90_000),
                 {**_row(DENSE_EAGER, seed, 0.93, dense_p50 * 3), "size_bytes": None,
                  "size_compressed_bytes": None, "size_ratio": None,
                  "size_compressed_ratio": None},
                 _row("prunegate:r", seed, acc, ours_p50, ours_size, ours_size - 100,
                      gate=seed == 0),
                 _row("peer", seed, peer_acc, 0.03, 3000, 2000)]
    return rows


def test_summary_takes_speedups_per_seed_then_averages():
    summary = {e["method"]: e for e in summarise(_rows())}
    ours = summary["prunegate:r"]
    # dense 0.05 then 0.10 ms against our 0.02: 2.5x and 5x, mean 3.75x (not 0.075/0.02)
    assert ours["speedup_vs_onnx_fp32"] == pytest.approx(3.75)
    assert ours["speedup_vs_torch_eager"] == pytest.approx(3 * 3.75)
    assert summary[DENSE_ONNX]["speedup_vs_onnx_fp32"] == pytest.approx(1.0)
    assert ours["accuracy_mean"] == pytest.approx(0.93) and ours["accuracy_std"] == 0.0
    assert "gate did not pass on 1 of 2 seeds" in ours["note"]
    for key in ("model", "method", "accuracy_mean", "accuracy_std", "size_ratio",
                "size_compressed_ratio", "speedup_vs_onnx_fp32", "speedup_vs_torch_eager",
                "p50_ms", "p95_ms"):
        assert key in ours


def test_accuracy_std_is_the_sample_std_over_seeds():
    ours = next(e for e in summarise(_rows(ours_acc=(0.90, 0.92))) if e["method"] == "prunegate:r")
    assert ours["accuracy_std"] == pytest.approx(np.std([0.90, 0.92], ddof=1))


def test_targets_met_and_missed_on_known_figures():
    met = targets(summarise(_rows()), "m")
    # 100,000 / 1,000 = 100x smaller, no drop; 11.25x vs eager; 3.75x vs ONNX; beats the peer
    assert [ok for _, ok, _ in met] == [True, True, True, True]
    names = [t for t, _, _ in met]
    assert "50x smaller" in names[0] and "5x faster than dense torch eager" in names[1]
    assert "2.5x faster than dense ONNX" in names[2] and "better than peer" in names[3]
    missed = targets(summarise(_rows(ours_size=4000, ours_p50=0.05, ours_acc=(0.91, 0.91))), "m")
    assert [ok for _, ok, _ in missed] == [False, False, False, False]
    assert "25.0x (raw), drop +2.00 pp" in missed[0][2]


def test_markdown_names_the_machine_and_every_method():
    rows = _rows()
    results = {"date": "2026-01-01", "machine": {"cpu": "X", "cores": 2, "torch": "t",
                                                  "onnxruntime": "o"},
               "config": {"quick": False, "seeds": [0, 1], "tuning_epochs": 2},
               "summary": summarise(rows)}
    text = markdown_table(results)
    assert "X (2 cores)" in text and "2026-01-01" in text
    for method in ("prunegate:r", "peer", DENSE_ONNX, DENSE_EAGER):
        assert f"| {method}" in text
    assert "**not met**" not in text


def test_compression_seconds_read_from_the_kedro_log():
    log = ("23:59:58 INFO     Completed node: train_baseline\n"
           "00:00:03 INFO     Completed node: quantize_model\n")
    assert compression_seconds(log) == 5.0   # across midnight
    assert np.isnan(compression_seconds("no nodes"))


class _Recorder:
    def __init__(self, name, calls):
        self.name, self.calls = name, calls

    def get_inputs(self):
        return [type("I", (), {"name": "x"})]

    def run(self, outputs, feeds):
        self.calls.append(self.name)


def test_interleaved_order_changes_every_round_so_no_model_always_follows_the_same_one():
    calls: list[str] = []
    sessions = {n: _Recorder(n, calls) for n in "abcd"}
    stats = measure_interleaved(sessions, np.zeros((1, 1)), warmup=0, repeats=200)
    assert all(len(s.samples_ms) == 200 for s in stats.values())
    rounds = [calls[i:i + 4] for i in range(0, len(calls), 4)]
    assert all(sorted(r) == list("abcd") for r in rounds)
    predecessors = {r[r.index("a") - 1] for r in rounds if r.index("a") > 0}
    assert predecessors == {"b", "c", "d"}   # a plain rotation always puts d before a
