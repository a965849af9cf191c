"""The champion comparison is fair: never on test samples the champion trained on."""

import numpy as np
import pytest

from prunegate.data import SplitConfig, split_arrays
from prunegate.data.splits import data_sha256, split_record, unseen_by
from prunegate.gate.config import GateConfig
from prunegate.gate.measure import measure_and_gate
from prunegate.onnx_io.export import export_onnx

# 4 pp: the ~200 test samples a differently salted champion never saw resolve ~3.3 pp
GATE = GateConfig(min_accuracy=None, max_accuracy_drop_pp=None, max_latency_ratio=None,
                  max_size_ratio=None,
                  checks={"no_worse_than_champion": {"metric": "accuracy", "comparator": "<=",
                                                     "threshold": 4.0,
                                                     "basis": "relative_to_champion"}})


@pytest.fixture(scope="module")
def setting(raw_digits, trained_mlp):
    """Today's test split (salt 0), and a champion whose split was salt 11: it trained on ~80%
    of today's test samples and, having learned them, gets every one of them right."""
    test = split_arrays(raw_digits, SplitConfig())[2]
    record = {**split_record(SplitConfig(seed=11)), "test_sha256": "another split"}
    unseen = unseen_by(test, record)
    model = export_onnx(trained_mlp, (1, 28, 28))

    def memorised(evidence):                   # the champion is right where it learned
        evidence["champion"].correct[~unseen[0]] = True
        evidence["champion"].metrics["accuracy"] = float(evidence["champion"].correct.mean())

    def gate(champion_unseen):
        models = {"baseline": model, "quantized": model, "champion": model}
        _, verdict, _ = measure_and_gate(models, test, GATE, repeats=50, report_repeats=10,
                                         evidence_hook=memorised,
                                         champion_unseen=champion_unseen)
        return verdict

    return test, unseen, gate


def test_a_champion_does_not_win_by_the_test_samples_it_trained_on(setting):
    test, unseen, gate = setting
    mask, how = unseen
    assert 0.1 < mask.mean() < 0.3 and how.endswith("were in its own test split")
    # compared on every test sample, the leak makes the champion look several points better
    leaked = gate(None)
    check = leaked["checks"][0]
    assert check["decision"] == "fail" and check["value"] > 3.0
    # on the samples it never saw, the same model is exactly as good as the candidate
    fair = gate(unseen)
    check = fair["checks"][0]
    assert check["decision"] == "pass" and check["value"] == 0.0
    assert fair["champion_compared_on"] == int(mask.sum())
    assert fair["champion_comparison"] == how


def test_an_unknown_split_or_too_few_unseen_samples_skip_the_check_and_say_why(setting):
    test, unseen, gate = setting
    unknown = gate((None, "its split is not recorded"))["checks"][0]
    assert unknown["decision"] == "skipped"
    assert unknown["reason"] == "the champion is not comparable: its split is not recorded"
    few = unseen[0] & (np.cumsum(unseen[0]) <= 20)                    # 20 unseen samples
    check = gate((few, "20 of them"))["checks"][0]
    assert check["decision"] == "skipped" and "coarser than the limit 4 pp" in check["reason"]
    # the same split as the champion's own: all of it is fair game
    same = unseen_by(test, {"test_sha256": data_sha256(test)})
    assert same[0].all() and same[1] == "validated on this same test split"
