"""The report's plot titles say how each recipe pruned."""

import pytest

from prunegate.reporting.plots import _prune_title


@pytest.mark.parametrize(("config", "says"), [
    ({"granularity": "neurons", "criterion": "magnitude", "sparsity": 0.7}, "70% by magnitude"),
    ({"granularity": "neurons", "criterion": "magnitude", "sparsity": None,
      "layer_ratios": {"features.1": 0.92, "features.3": 0.84}},
     "features.1 92%, features.3 84% by magnitude"),
    ({"granularity": "neurons", "criterion": "taylor", "sparsity": None,
      "latency_budget_ms": 0.02}, "to a 0.02 ms budget by taylor"),
    ({"granularity": "weights", "selection": "threshold", "threshold": 0.01}, "|w| < 0.01"),
])
def test_the_title_names_the_way_each_recipe_prunes(config, says):
    assert _prune_title(config).endswith(says)
