"""The call paths latency is timed on: what a service does with the model, for one input or
two. Only correctness and bookkeeping are asserted here; speed lives in make bench."""

import numpy as np
import pytest
import torch

from prunegate.errors import ConfigError
from prunegate.evaluation.latency import caller, make_session, measure_interleaved
from prunegate.evaluation.targets import TargetProfile
from prunegate.models import ModelConfig
from prunegate.onnx_io.export import export_onnx
from prunegate.onnx_io.inputs import feeds

TOKENS = {"inputs": ["input_ids", "attention_mask"], "vocab_size": 50}


def _sessions():
    torch.manual_seed(0)
    mlp = ModelConfig().build((1, 28, 28), 10)
    text = ModelConfig(name="text_encoder_mini", kwargs={"depth": 1}).build((2, 8), 3, TOKENS)
    x_img = np.random.default_rng(0).random((4, 1, 28, 28), dtype=np.float32)
    x_tok = np.ones((4, 2, 8), np.int64)
    x_tok[:, 0] = np.arange(32).reshape(4, 8) % 50
    return [(make_session(export_onnx(mlp, (1, 28, 28)).SerializeToString()), x_img),
            (make_session(export_onnx(text, (2, 8)).SerializeToString()), x_tok)]


@pytest.mark.parametrize("which", [0, 1], ids=["one input", "two inputs"])
def test_iobinding_computes_what_run_computes(which):
    session, x = _sessions()[which]
    call = caller(session, x, "iobinding")
    call()
    expected = session.run(None, feeds(session, x))[0]
    assert np.allclose(call.outputs[0].numpy(), expected, atol=1e-6)


def test_both_call_paths_time_every_model_every_round():
    sessions = {f"m{i}": s for i, (s, _) in enumerate(_sessions()[:1] * 2)}
    x = _sessions()[0][1][:1]
    for call in ("run", "iobinding"):
        timed = measure_interleaved(sessions, x, warmup=2, repeats=15, call=call)
        assert {n: len(t.samples_ms) for n, t in timed.items()} == {"m0": 15, "m1": 15}
        assert all(t.p50_ms > 0 for t in timed.values())


def test_an_unknown_call_path_is_refused():
    with pytest.raises(ConfigError, match="target call"):
        TargetProfile(call="grpc")
    with pytest.raises(ValueError, match="unknown call path"):
        caller(_sessions()[0][0], np.zeros((1, 1, 28, 28), np.float32), "grpc")


class _Counting:
    """A session stand-in that counts its calls (caller's ``run`` path only needs these)."""

    def __init__(self):
        self.calls = 0

    def get_inputs(self):
        class _Input:
            name, shape, type = "x", [None, 1], "tensor(float)"
        return [_Input()]

    def run(self, outputs, feed):
        self.calls += 1
        return [feed["x"]]


def test_a_burst_times_the_warm_calls_and_drops_the_first_of_each():
    sessions = {"a": _Counting(), "b": _Counting()}
    x = np.zeros((1, 1), np.float32)
    timed = measure_interleaved(sessions, x, warmup=0, repeats=20, call="run", burst=5)
    # ceil(20 / 4) = 5 rounds of 5 calls, the first of each dropped: 20 samples from 25 calls
    assert {n: len(t.samples_ms) for n, t in timed.items()} == {"a": 20, "b": 20}
    assert sessions["a"].calls == sessions["b"].calls == 25
    cold = measure_interleaved({"a": _Counting()}, x, warmup=0, repeats=7, call="run")
    assert len(cold["a"].samples_ms) == 7


def test_a_target_burst_must_be_a_positive_count():
    assert TargetProfile(burst=10).burst == 10
    with pytest.raises(ConfigError, match="burst"):
        TargetProfile(burst=0)
