"""The promotion lock: one holder at a time per store and model, a clear error after the wait."""

import pytest

from prunegate.errors import TrackingError
from prunegate.registry.locks import promotion_lock


def test_a_second_promotion_waits_then_is_refused_and_the_lock_frees(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    with promotion_lock(uri, "m"):
        with pytest.raises(TrackingError, match="another promotion of m has held .*m.promote"
                                                ".lock for 0 s; retry when it has finished"):
            with promotion_lock(uri, "m", timeout_s=0.2):
                pass
        with promotion_lock(uri, "other", timeout_s=0.2):  # another model: its own lock
            pass
    with promotion_lock(uri, "m", timeout_s=0.2):           # released
        pass
