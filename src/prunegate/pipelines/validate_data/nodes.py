"""Validate data: the Great Expectations suite on every split, before anything trains."""

from typing import Any

import numpy as np

from prunegate.data.expectations import DataCheckConfig, validate_splits


def validate_data(train: dict[str, np.ndarray], val: dict[str, np.ndarray],
                  test: dict[str, np.ndarray], config: DataCheckConfig) -> dict[str, Any]:
    """The validation report, passed or not: it is saved and logged either way, and the run
    stops right after it when it failed (the hook raises, and training refuses it too)."""
    return validate_splits({"train": train, "val": val, "test": test}, config)
