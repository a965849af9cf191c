import math

import pytest
import torch

from prunegate.compression.distill import DistillConfig, kd_loss
from prunegate.errors import ConfigError


def test_kd_loss_matches_hintons_formula_on_fixed_logits():
    s = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
    t = torch.tensor([[1.5, 1.0, -0.5], [0.0, 1.0, 2.0]])
    y = torch.tensor([0, 2])
    T, alpha = 3.0, 0.6

    def softmax(row, temp):
        e = [math.exp(v / temp) for v in row]
        return [v / sum(e) for v in e]

    kl = ce = 0.0
    for i in range(2):
        p, q = softmax(t[i].tolist(), T), softmax(s[i].tolist(), T)
        kl += sum(pi * math.log(pi / qi) for pi, qi in zip(p, q, strict=True))
        ce -= math.log(softmax(s[i].tolist(), 1.0)[int(y[i])])
    expected = alpha * T * T * kl / 2 + (1 - alpha) * ce / 2
    assert float(kd_loss(s, t, y, T, alpha)) == pytest.approx(expected, rel=1e-5)


def test_alpha_zero_is_plain_cross_entropy():
    s, t, y = torch.randn(4, 10), torch.randn(4, 10), torch.tensor([1, 2, 3, 4])
    assert torch.allclose(kd_loss(s, t, y, 4.0, 0.0), torch.nn.functional.cross_entropy(s, y))


def test_distill_config_checks_itself():
    with pytest.raises(ConfigError, match="distill.alpha"):
        DistillConfig(alpha=1.5)
    with pytest.raises(ConfigError, match="distill.student"):
        DistillConfig(student="resnet")


def test_feature_kd_is_refused_until_built():
    import pytest

    from prunegate.compression.distill import DistillConfig
    from prunegate.errors import ConfigError
    with pytest.raises(ConfigError, match="distill.kind 'feature' is not built yet"):
        DistillConfig(kind="feature")


def test_the_teacher_is_chosen_by_name():
    import pytest
    from torch import nn

    from prunegate.compression.distill import DistillConfig, teacher_of
    from prunegate.errors import ConfigError
    from prunegate.models import Checkpoint
    finetuned, baseline = Checkpoint(nn.Linear(2, 2)), Checkpoint(nn.Linear(2, 2))
    assert teacher_of(DistillConfig(), finetuned, baseline) is baseline.model
    assert teacher_of(DistillConfig(teacher="finetuned"), finetuned, baseline) is finetuned.model
    assert teacher_of(DistillConfig(student="lenet5"), finetuned, baseline) is finetuned.model
    assert teacher_of(DistillConfig(student="lenet5", teacher="baseline"), finetuned,
                      baseline) is baseline.model
    with pytest.raises(ConfigError, match="Choose one of: auto, baseline, finetuned"):
        DistillConfig(teacher="oracle")
