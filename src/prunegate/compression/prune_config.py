"""``PruneConfig``: which pruning, checked in ``__post_init__`` so contradictions fail before
any work (granularity, criterion, selection, scope, schedule, and their own settings)."""

from dataclasses import dataclass, field

from prunegate.compression.criteria import CRITERIA, NEURON_ONLY
from prunegate.compression.layers import LAYER_CRITERIA
from prunegate.compression.schedule_config import FLAT_KEYS, Schedule, flat_defaults, schedule_from
from prunegate.compression.schedule_config import SCHEDULES as SCHEDULE_TYPES
from prunegate.errors import ConfigError
from prunegate.validators import choose, integer, number

GRANULARITIES = ("weights", "neurons", "layers")
SELECTIONS = ("ranked", "threshold")
SCOPES = ("local", "global")
SCHEDULES = tuple(SCHEDULE_TYPES)


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
    # neurons: instead of a sparsity, per-layer ratios that bring the model's p50 latency on the
    # target (validate.target, its gate batch) under this budget, from measured layer savings
    latency_budget_ms: float | None = None
    # neurons: per-layer ratios that bring the model's energy per inference on the target
    # (measured or modelled, targets.yml energy) under this many µJ, or this fraction of the
    # dense model's, from each layer's evaluated saving (energy_aware.py)
    energy_budget_uj: float | None = None
    energy_budget_ratio: float | None = None
    # neurons: each named layer's own fraction, e.g. {fc1: 0.7, fc2: 0.0}; the layers not named
    # keep every neuron. This is how a latency budget's recorded allocation is replayed without
    # timing anything (prune_report.json's "pin"), or a hand-made allocation is given.
    layer_ratios: dict[str, float] | None = None
    # one-shot to a sparsity: back off (by backoff_step, down to backoff_floor) until the
    # fine-tuned model's validation drop fits the gate's max_accuracy_drop_pp minus the test
    # split's margin, keeping the most compressed sparsity that does (budget.py)
    accuracy_budget: bool = False
    backoff_step: float = 0.1
    backoff_floor: float = 0.3
    # neurons: keep every pruned layer's width a multiple of this. A convolution whose channel
    # count is not a multiple of the CPU's vector width runs on ONNX Runtime's slow path: a
    # MobileNetV2 pruned to 10/41/62 channels ran 1.8x slower than its dense self, rounded to
    # 8/40/56 0.8x (docs/families.md). null: exact widths
    round_to: int | None = None
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
        elif self.layer_ratios is not None:
            self._check_layer_ratios()
        elif self.latency_budget_ms is not None:
            self._check_latency_budget()
        elif self.energy_budget_uj is not None or self.energy_budget_ratio is not None:
            self._check_energy_budget()
        else:
            self._check_ranked()
        self._check_schedule()
        self._check_layers()
        self._check_round_to()
        self._check_budget()

    def _check_budget(self) -> None:
        if not isinstance(self.accuracy_budget, bool):
            raise ConfigError("prune.accuracy_budget must be true or false.")
        number(self.backoff_step, "prune.backoff_step", 0.01, 0.5)
        number(self.backoff_floor, "prune.backoff_floor", 0.0, 1.0, include_high=False)
        if not self.accuracy_budget:
            return
        if (self.schedule != "one_shot" or self.selection != "ranked" or self.sparsity is None
                or self.layer_ratios is not None or self.granularity == "layers"):
            raise ConfigError("prune.accuracy_budget backs off a one-shot sparsity: it needs "
                              "schedule 'one_shot', selection 'ranked' and a prune.sparsity "
                              "(not layer_ratios, latency_budget_ms or granularity 'layers'). "
                              "Iterative and gradual schedules are not backed off yet.")
        if self.backoff_floor > self.sparsity:
            raise ConfigError(f"prune.backoff_floor {self.backoff_floor} is above prune.sparsity "
                              f"{self.sparsity}: nothing to back off to.")

    def _check_round_to(self) -> None:
        if self.round_to is None:
            return
        integer(self.round_to, "prune.round_to", low=1)
        if self.granularity != "neurons":
            raise ConfigError("prune.round_to rounds the widths of pruned layers: it needs "
                              "granularity 'neurons'.")
        if self.latency_budget_ms is not None:
            raise ConfigError("prune.round_to is not built for prune.latency_budget_ms, whose "
                              "allocation measures exact widths: set one of them to null.")

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

    @property
    def schedule_config(self) -> Schedule:
        """This schedule's own settings as its config type (schedule_config.py)."""
        return schedule_from(self.schedule, {key: getattr(self, key)
                                             for key in FLAT_KEYS[self.schedule]})

    def _check_schedule(self) -> None:
        for schedule in FLAT_KEYS:
            for key, default in flat_defaults(schedule).items():
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

    def _check_latency_budget(self) -> None:
        number(self.latency_budget_ms, "prune.latency_budget_ms", low=0.0)
        if self.latency_budget_ms == 0:
            raise ConfigError("prune.latency_budget_ms must be > 0.")
        if self.energy_budget_uj is not None or self.energy_budget_ratio is not None:
            raise ConfigError("prune.latency_budget_ms and prune.energy_budget are two budgets "
                              "for one allocation: set one of them, the other null.")
        if self.sparsity is not None:
            raise ConfigError("prune.latency_budget_ms decides each layer's ratio itself: set "
                              "prune.sparsity: null (the ratios are reported).")
        if self.granularity != "neurons":
            raise ConfigError("prune.latency_budget_ms shrinks tensors to save time: it needs "
                              "granularity 'neurons' (zeroed weights run as fast as dense ones).")
        if self.scope != "global" or self.schedule != "one_shot" or self.at_init:
            raise ConfigError("prune.latency_budget_ms allocates ratios across the network "
                              "once: it needs scope 'global', schedule 'one_shot', at_init false.")

    def _check_energy_budget(self) -> None:
        if self.energy_budget_uj is not None and self.energy_budget_ratio is not None:
            raise ConfigError("prune.energy_budget_uj and prune.energy_budget_ratio are two ways "
                              "to state one budget: set one of them, the other null.")
        if self.energy_budget_uj is not None:
            number(self.energy_budget_uj, "prune.energy_budget_uj", low=0.0)
            if self.energy_budget_uj == 0:
                raise ConfigError("prune.energy_budget_uj must be > 0.")
        else:
            number(self.energy_budget_ratio, "prune.energy_budget_ratio", 0.0, 1.0,
                   include_high=False)
            if self.energy_budget_ratio == 0:
                raise ConfigError("prune.energy_budget_ratio must be > 0 (a fraction of the "
                                  "dense model's energy, e.g. 0.2).")
        if self.sparsity is not None:
            raise ConfigError("prune.energy_budget decides each layer's ratio itself: set "
                              "prune.sparsity: null (the ratios are reported).")
        if self.granularity != "neurons":
            raise ConfigError("prune.energy_budget shrinks tensors to save energy: it needs "
                              "granularity 'neurons' (zeroed weights are still read and "
                              "multiplied).")
        if self.scope != "global" or self.schedule != "one_shot" or self.at_init:
            raise ConfigError("prune.energy_budget allocates ratios across the network once: "
                              "it needs scope 'global', schedule 'one_shot', at_init false.")

    def _check_layer_ratios(self) -> None:
        if not isinstance(self.layer_ratios, dict):
            raise ConfigError("prune.layer_ratios must map layer names to fractions, e.g. "
                              f"{{fc1: 0.7}}; got {self.layer_ratios!r}.")
        self.layer_ratios = _flat(self.layer_ratios)
        for name, ratio in self.layer_ratios.items():
            number(ratio, f"prune.layer_ratios.{name}", 0.0, 1.0, include_high=False)
        if self.sparsity is not None or self.latency_budget_ms is not None or (
                self.energy_budget_uj is not None or self.energy_budget_ratio is not None):
            raise ConfigError("prune.layer_ratios gives each layer its own fraction: set "
                              "prune.sparsity: null, and latency_budget_ms, energy_budget_uj "
                              "and energy_budget_ratio too.")
        if self.granularity != "neurons":
            raise ConfigError("prune.layer_ratios removes whole neurons and channels: it needs "
                              "granularity 'neurons'.")
        if self.schedule != "one_shot" or self.at_init:
            raise ConfigError("prune.layer_ratios prunes once, from the trained model: it needs "
                              "schedule 'one_shot' and at_init false.")

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


def _flat(ratios: dict, prefix: str = "") -> dict[str, float]:
    """{features: {"3": 0.5}} -> {"features.3": 0.5}: a dotted module name given on the command
    line (--params prune.layer_ratios.features.3=0.5) arrives nested."""
    flat: dict[str, float] = {}
    for key, value in ratios.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
