"""Built-in data and deterministic splits."""

from prunegate.data.mnist import load_mnist_sample
from prunegate.data.splits import ArraySplit, SplitConfig, split_arrays

__all__ = ["ArraySplit", "SplitConfig", "load_mnist_sample", "split_arrays"]
