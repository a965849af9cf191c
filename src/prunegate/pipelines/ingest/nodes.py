"""Ingest: the catalog's ``raw_input`` (the built-in digits unless a recipe brings its own data)
or a synthetic set of any size, then a seeded stratified split."""

import logging

import numpy as np

from prunegate.data import SplitConfig, split_arrays
from prunegate.data.synthetic import augmented_digits

log = logging.getLogger(__name__)


def load_raw_data(raw_input: dict[str, np.ndarray], config: SplitConfig) -> dict[str, np.ndarray]:
    """The raw samples, labels, class names and declared sample shape (data/sources.py)."""
    raw = augmented_digits(config.samples, config.seed) if config.source == "synthetic" \
        else raw_input
    log.info("loaded %d raw samples of shape %s in %d classes (%s)", len(raw["y"]),
             tuple(raw["shape"].tolist()), len(raw["classes"]), config.source)
    return raw


def split_data(raw: dict[str, np.ndarray], config: SplitConfig) -> tuple[dict, dict, dict]:
    """Train, val and test splits, stratified and seeded."""
    train, val, test = split_arrays(raw, config)
    log.info("split: %d train, %d val, %d test", len(train["y"]), len(val["y"]), len(test["y"]))
    return train, val, test
