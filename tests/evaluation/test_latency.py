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
