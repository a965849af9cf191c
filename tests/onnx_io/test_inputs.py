"""The packed convention: a sample of several inputs is one row per input along axis 1, and
every ONNX Runtime call feeds them by name."""

import numpy as np
import pytest

from prunegate.errors import DataError
from prunegate.onnx_io.inputs import unpack


def test_a_packed_batch_is_fed_as_one_contiguous_array_per_input():
    x = np.arange(2 * 2 * 5).reshape(2, 2, 5)
    fed = unpack(["input_ids", "attention_mask"], x)
    assert list(fed) == ["input_ids", "attention_mask"]
    assert (fed["attention_mask"] == x[:, 1]).all() and fed["attention_mask"].flags.c_contiguous
    single = np.zeros((3, 4), np.float32)
    assert unpack(["input"], single)["input"] is single  # one input: as it is


def test_samples_that_do_not_pack_the_model_inputs_are_refused():
    with pytest.raises(DataError, match=r"takes 2 inputs \(input_ids, attention_mask\), and "
                                        r"the samples have shape \(784,\)"):
        unpack(["input_ids", "attention_mask"], np.zeros((3, 784), np.float32))
