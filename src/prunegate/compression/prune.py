"""``prune_(model, config)``: one verb; granularity, criterion, selection and scope by name.

``neurons`` removes whole neurons (Linear outputs) and channels (Conv outputs), so the tensors
physically shrink: the only way a dense runtime such as ONNX Runtime gets smaller or faster.
``weights`` zeroes individual weights; the file and the latency stay the same unless the zeros
are exploited downstream.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from prunegate.compression.criteria import CRITERIA, NEEDS_DATA, NEURON_ONLY
from prunegate.compression.layers import LAYER_CRITERIA, drop_blocks_
from prunegate.compression.structured import prune_structured_
from prunegate.compression.unstructured import apply_masks_, ranked_masks, threshold_masks
from prunegate.config import choose, integer, number
from prunegate.errors import ConfigError

log = logging.getLogger(__name__)

Masks = dict[str, torch.Tensor]
GRANULARITIES = ("weights", "neurons", "layers")
SELECTIONS = ("ranked", "threshold")
SCOPES = ("local", "global")
SCHEDULES = ("one_shot", "iterative", "gradual", "dynamic")
# each schedule's own keys; the others must stay unset (null)
SCHEDULE_KEYS = {"iterative": {"rounds": 3},
                 "gradual": {"initial_sparsity": 0.0, "gradual_events": 10, "gradual_end": 0.75},
                 "dynamic": {"dynamic_every": 50, "dynamic_end": 0.75}}


@dataclass
class PruneConfig:
    granularity: str = "neurons"
    criterion: str = "magnitude"
    # ranked: remove the `sparsity` fraction with the lowest importance. threshold: zero every
    # weight with |w| < `threshold` (weights granularity, magnitude criterion; sparsity: null)
    selection: str = "ranked"
    sparsity: float | None = 0.7
    threshold: float | None = None
    scope: str = "local"  # local: each layer loses `sparsity`; global: ranked across layers
    min_layer_sparsity: float = 0.0
    max_layer_sparsity: float = 1.0
    norm: int = 2  # the p of the magnitude criterion, |w|^p
    # the classifier's outputs are the classes, so removing any would change the task
    skip_classifier: bool = True
    skip_layers: list[str] = field(default_factory=list)  # module names, e.g. features.1
    schedule: str = "one_shot"
    rounds: int | None = None  # iterative: prune-then-fine-tune rounds (default 3)
    # gradual: s_i, the number of pruning events n, and the fraction of fine-tuning by which
    # the final sparsity is reached (the rest recovers); defaults 0.0, 10, 0.75
    initial_sparsity: float | None = None
    gradual_events: int | None = None
    gradual_end: float | None = None
    # dynamic (Guo et al. 2016): pruned weights keep learning behind the mask and every
    # `dynamic_every` steps the mask is re-ranked, so a weight can come back; the mask is frozen
    # after `dynamic_end` of fine-tuning (defaults 50, 0.75)
    dynamic_every: int | None = None
    dynamic_end: float | None = None
    # prune a freshly initialised copy of the architecture (seeded by `seed`) instead of the
    # trained baseline; fine-tuning then trains it from scratch with the masks held (SNIP)
    at_init: bool = False
    importance_batches: int = 4  # data-driven criteria (taylor, obd, snip) read these batches
    importance_batch_size: int = 64
    seed: int = 0

    def __post_init__(self) -> None:
        criteria = list(CRITERIA) + [c for c in LAYER_CRITERIA if c not in CRITERIA]
        for key, names in (("granularity", GRANULARITIES), ("criterion", criteria),
                           ("selection", SELECTIONS), ("scope", SCOPES),
                           ("schedule", SCHEDULES)):
            choose(getattr(self, key), names, f"prune.{key}")
        if self.norm not in (1, 2):
            raise ConfigError(f"prune.norm must be 1 or 2, got {self.norm!r}.")
        for key in ("min_layer_sparsity", "max_layer_sparsity"):
            number(getattr(self, key), f"prune.{key}", 0.0, 1.0)
        if self.min_layer_sparsity > self.max_layer_sparsity:
            raise ConfigError("prune.min_layer_sparsity must be <= prune.max_layer_sparsity.")
        integer(self.importance_batches, "prune.importance_batches", low=1)
        integer(self.importance_batch_size, "prune.importance_batch_size", low=1)
        if self.criterion in NEURON_ONLY and self.granularity != "neurons":
            raise ConfigError(f"prune.criterion '{self.criterion}' scores whole neurons and "
                              "channels: it needs granularity 'neurons'.")
        if not isinstance(self.at_init, bool):
            raise ConfigError("prune.at_init must be true or false.")
        if self.criterion == "snip" and not self.at_init:
            raise ConfigError("prune.criterion 'snip' scores connections at initialisation: set "
                              "prune.at_init: true (fine-tuning then trains the pruned network).")
        if self.at_init and self.schedule != "one_shot":
            raise ConfigError("prune.at_init prunes once, before training: it needs schedule "
                              "'one_shot'.")
        if not isinstance(self.skip_classifier, bool):
            raise ConfigError("prune.skip_classifier must be true or false.")
        if not isinstance(self.skip_layers, list) or not all(
                isinstance(n, str) for n in self.skip_layers):
            raise ConfigError("prune.skip_layers must be a list of module names.")
        if self.selection == "threshold":
            self._check_threshold()
        else:
            self._check_ranked()
        self._check_schedule()
        self._check_layers()

    def _check_layers(self) -> None:
        if self.granularity != "layers":
            if self.criterion not in CRITERIA:
                raise ConfigError(f"prune.criterion '{self.criterion}' ranks whole blocks: it "
                                  "needs granularity 'layers'.")
            return
        if self.criterion not in LAYER_CRITERIA:
            raise ConfigError(f"prune.granularity 'layers' ranks whole blocks by the measured "
                              f"accuracy without each: set prune.criterion to one of "
                              f"{', '.join(LAYER_CRITERIA)} (got '{self.criterion}').")
        if self.scope != "global":
            raise ConfigError("prune.granularity 'layers' ranks blocks across the whole network: "
                              "set prune.scope: global.")
        if self.schedule != "one_shot" or self.at_init:
            raise ConfigError("prune.granularity 'layers' drops blocks once, from the trained "
                              "model: it needs schedule 'one_shot' and at_init false.")
        if (self.min_layer_sparsity, self.max_layer_sparsity) != (0.0, 1.0):
            raise ConfigError("prune.min/max_layer_sparsity bound each layer's share, which "
                              "does not apply to dropping whole blocks; leave them at 0 and 1.")

    def _check_schedule(self) -> None:
        for schedule, keys in SCHEDULE_KEYS.items():
            for key, default in keys.items():
                if schedule != self.schedule and getattr(self, key) is not None:
                    raise ConfigError(f"prune.{key} is only read with prune.schedule "
                                      f"'{schedule}' (this one is '{self.schedule}').")
                if schedule == self.schedule and getattr(self, key) is None:
                    setattr(self, key, default)
        if self.schedule != "one_shot" and self.selection != "ranked":
            raise ConfigError(f"prune.schedule '{self.schedule}' needs selection 'ranked'.")
        if self.schedule == "iterative":
            integer(self.rounds, "prune.rounds", low=2)
        if self.schedule == "gradual":
            if self.granularity != "weights" or self.criterion not in ("magnitude", "random"):
                raise ConfigError("prune.schedule 'gradual' re-ranks weights during fine-tuning: "
                                  "it needs granularity 'weights' and criterion 'magnitude' or "
                                  "'random' (shrinking tensors mid-training would reset the "
                                  "optimiser).")
            number(self.initial_sparsity, "prune.initial_sparsity", 0.0, self.sparsity)
            integer(self.gradual_events, "prune.gradual_events", low=1)
            number(self.gradual_end, "prune.gradual_end", 0.0, 1.0)
            if self.gradual_end == 0:
                raise ConfigError("prune.gradual_end must be > 0.")
        if self.schedule == "dynamic":
            if self.granularity != "weights" or self.criterion != "magnitude":
                raise ConfigError("prune.schedule 'dynamic' re-ranks weights by magnitude during "
                                  "fine-tuning: it needs granularity 'weights' and criterion "
                                  "'magnitude'.")
            integer(self.dynamic_every, "prune.dynamic_every", low=1)
            number(self.dynamic_end, "prune.dynamic_end", 0.0, 1.0)

    def _check_threshold(self) -> None:
        if self.granularity != "weights" or self.criterion != "magnitude":
            raise ConfigError("prune.selection 'threshold' zeroes weights with |w| < threshold: "
                              "it needs granularity 'weights' and criterion 'magnitude'.")
        if self.sparsity is not None:
            raise ConfigError("prune.selection 'threshold' decides the sparsity itself: set "
                              "prune.sparsity: null (the achieved sparsity is reported).")
        number(self.threshold, "prune.threshold", low=0.0)
        if self.threshold == 0:
            raise ConfigError("prune.threshold must be > 0: |w| < 0 removes nothing.")

    def _check_ranked(self) -> None:
        if self.threshold is not None:
            raise ConfigError("prune.threshold is only read with prune.selection 'threshold'.")
        number(self.sparsity, "prune.sparsity", 0.0, 1.0, include_high=False)
        if not self.min_layer_sparsity <= self.sparsity <= self.max_layer_sparsity:
            raise ConfigError(f"prune.sparsity {self.sparsity} lies outside the per-layer bounds "
                              f"[{self.min_layer_sparsity}, {self.max_layer_sparsity}], so it "
                              "cannot be reached.")
        if self.granularity == "neurons" and self.min_layer_sparsity > 0:
            raise ConfigError("prune.min_layer_sparsity is not supported for neurons (Torch-"
                              "Pruning has no per-layer minimum); use it with weights.")


def prune_(model: nn.Module, config: PruneConfig, example_input: torch.Tensor,
           batches: Iterable[tuple[torch.Tensor, torch.Tensor]] | None = None,
           details: dict | None = None) -> Masks:
    """Prune ``model`` in place; returns the masks that fine-tuning must keep (may be empty).

    ``batches`` (inputs, labels) feed the data-driven criteria and are required by them; layer
    dropping measures accuracy on them, so give it held-out data. ``details``, when given, is
    filled with what was decided (the dropped blocks and the accuracy measured without each).
    """
    if config.granularity == "layers":
        if config.criterion == "accuracy" and batches is None:
            raise ConfigError("prune.criterion 'accuracy' needs held-out batches to measure.")
        report = drop_blocks_(model, config.sparsity, config.criterion, batches or [],
                              config.skip_layers, config.seed)
        log.info("dropped %s: %s", report["dropped"], layer_shapes(model))
        if details is not None:
            details.update(report)
        return {}
    layers = prunable_targets(model, config)
    if config.criterion in NEEDS_DATA and batches is None:
        raise ConfigError(f"prune.criterion '{config.criterion}' needs training batches.")
    scores = CRITERIA[config.criterion](model, layers, batches or [],
                                        {"norm": config.norm, "seed": config.seed})
    if config.granularity == "neurons":
        skip = [m for n, m in prunable_layers(model) if n not in layers]
        prune_structured_(model, scores, config.sparsity, config.scope,
                          config.max_layer_sparsity, skip, example_input)
        masks: Masks = {}
    else:
        weights = {f"{name}.weight": m.weight for name, m in layers.items()}
        if config.selection == "threshold":
            masks = threshold_masks(weights, config.threshold)
        else:
            masks = ranked_masks({f"{n}.weight": s for n, s in scores.items()}, config.sparsity,
                                 config.scope, config.min_layer_sparsity,
                                 config.max_layer_sparsity)
        apply_masks_(weights, masks)
    log.info("pruned (%s, %s, %s, %s): %s", config.granularity, config.criterion,
             config.scope, config.selection, layer_shapes(model))
    return masks


def importance_batches(train: dict, config: PruneConfig,
                       everything: bool = False) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """A seeded sample of batches ({"x", "y"} arrays) for the data-driven criteria; all of
    ``train`` in batches with ``everything``."""
    rng = np.random.default_rng(config.seed)
    size = config.importance_batch_size
    order = rng.permutation(len(train["y"]))
    if not everything:
        order = order[:config.importance_batches * size]
    return [(torch.from_numpy(train["x"][order[i:i + size]]),
             torch.from_numpy(train["y"][order[i:i + size]]).long())
            for i in range(0, len(order), size)]


def prunable_targets(model: nn.Module, config: PruneConfig) -> dict[str, nn.Module]:
    """The layers ``config`` prunes: every Linear/Conv except the skipped ones."""
    layers = dict(prunable_layers(model))
    unknown = sorted(set(config.skip_layers) - set(layers))
    if unknown:
        raise ConfigError(f"prune.skip_layers names no prunable layer: {', '.join(unknown)}. "
                          f"Prunable layers: {', '.join(layers)}.")
    skip = set(config.skip_layers)
    if config.skip_classifier and hasattr(model, "classifier"):
        skip |= {n for n, m in layers.items() if m is model.classifier}
    return {n: m for n, m in layers.items() if n not in skip}


def prunable_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    return [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Linear | nn.Conv2d)]


def layer_shapes(model: nn.Module) -> dict[str, list[int]]:
    return {name: list(m.weight.shape) for name, m in prunable_layers(model)}


def sparsity_report(model: nn.Module) -> dict[str, dict[str, float]]:
    """Per layer: weight shape and the fraction of weights that are exactly zero."""
    return {name: {"shape": list(m.weight.shape), "params": m.weight.numel(),
                   "sparsity": float((m.weight == 0).float().mean())}
            for name, m in prunable_layers(model)}
