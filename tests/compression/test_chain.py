"""The chain as one call: the same steps the stage nodes call, stopped early when asked."""

import copy
import json

import onnx
import pytest

from prunegate.app.recipe import check_params
from prunegate.compression.chain import ChainConfig, chain_config, compress
from prunegate.errors import ConfigError
from prunegate.models import Checkpoint

ONE_EPOCH = {"epochs": 1, "batch_size": 64}
PARAMS = {"prune": {"granularity": "neurons", "sparsity": 0.5},
          "finetune": ONE_EPOCH, "distill": {"training": ONE_EPOCH},
          "quantize": {"op_types": ["Gemm"], "timing_repeats": 20, "calibration_samples": 64}}


def test_the_chain_config_is_what_the_recipe_check_builds():
    assert chain_config(PARAMS) == check_params(PARAMS)["chain"]
    assert chain_config({}) == ChainConfig()
    with pytest.raises(ConfigError, match="in 'distill.training': 'epochs' must be >= 0"):
        chain_config({"distill": {"training": {"epochs": -1}}})


def test_compress_runs_every_step_and_shrinks_the_model(trained_mlp, splits):
    baseline = Checkpoint(copy.deepcopy(trained_mlp))
    result = compress(baseline, splits[0], splits[1], chain_config(PARAMS))
    assert result.stopped is None and set(result.reports) == {"prune", "finetune", "distill",
                                                              "quantize"}
    assert result.pruned.model.features[1].weight.shape == (150, 784)
    assert isinstance(result.deployable, onnx.ModelProto)
    assert result.reports["quantize"]["chosen"] in ("fp32", "int8:Gemm")
    # the deployable names its classes, in logit order, and its precision
    meta = {p.key: json.loads(p.value) for p in result.deployable.metadata_props
            if p.key.startswith("prunegate.")}
    assert meta["prunegate.classes"] == [str(c) for c in splits[0]["classes"]]
    assert meta["prunegate.precision"] == result.reports["quantize"]["chosen"]
    assert trained_mlp.features[1].weight.shape == (300, 784)   # the baseline is untouched


def test_keep_going_stops_the_chain_after_fine_tuning(trained_mlp, splits):
    seen = []

    def hopeless(finetuned):
        seen.append(finetuned)
        return "hopeless"

    result = compress(Checkpoint(copy.deepcopy(trained_mlp)), splits[0], splits[1],
                      chain_config(PARAMS), keep_going=hopeless)
    assert result.stopped == "hopeless" and seen == [result.finetuned]
    assert result.distilled is None and result.deployable is None
    assert set(result.reports) == {"prune", "finetune"}


def test_the_deployable_says_how_its_inputs_were_normalised(trained_mlp, splits):
    """data.normalize changes what the model takes; the file tells its callers."""
    from prunegate.compression.chain import quantize_distilled
    from prunegate.onnx_io.export import export_onnx

    train = {**splits[0], "normalize": [[0.1307], [0.3081]]}
    config = chain_config({"quantize": {"op_types": [], "timing_repeats": 20}})
    deployable, _ = quantize_distilled(export_onnx(trained_mlp, (1, 28, 28)),
                                       Checkpoint(trained_mlp), train, splits[1], config)
    meta = {p.key: json.loads(p.value) for p in deployable.metadata_props}
    assert meta["prunegate.normalize"] == {"mean": [0.1307], "std": [0.3081]}
    plain, _ = quantize_distilled(export_onnx(trained_mlp, (1, 28, 28)),
                                  Checkpoint(trained_mlp), splits[0], splits[1], config)
    assert "prunegate.normalize" not in {p.key for p in plain.metadata_props}
