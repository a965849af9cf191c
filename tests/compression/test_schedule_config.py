"""Each schedule has its own config type, built from the recipe's flat keys, and a handler."""

import pytest

from prunegate.compression.prune import GRANULARITIES
from prunegate.compression.prune_config import GRANULARITIES as GRANULARITY_NAMES
from prunegate.compression.prune_config import PruneConfig
from prunegate.compression.schedule_config import SCHEDULES, Dynamic, Gradual, Iterative, OneShot
from prunegate.compression.schedules import FINETUNE
from prunegate.errors import ConfigError


def test_the_flat_keys_become_the_schedules_own_type_with_its_defaults():
    assert PruneConfig().schedule_config == OneShot()
    assert PruneConfig(schedule="iterative", rounds=5).schedule_config == Iterative(rounds=5)
    assert PruneConfig(granularity="weights", schedule="gradual",
                       gradual_events=4).schedule_config == Gradual(0.0, 4, 0.75)
    assert PruneConfig(granularity="weights", schedule="dynamic",
                       dynamic_end=0.5).schedule_config == Dynamic(every=50, end=0.5)


def test_another_schedules_key_is_refused():
    with pytest.raises(ConfigError, match="prune.rounds is only read with prune.schedule "
                                          "'iterative'"):
        PruneConfig(granularity="weights", schedule="gradual", rounds=3)


def test_every_schedule_and_granularity_has_a_handler():
    assert set(FINETUNE) == set(SCHEDULES.values())
    assert set(GRANULARITIES) == set(GRANULARITY_NAMES)
