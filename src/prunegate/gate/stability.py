"""k-fold stability: would the recipe give the same accuracy on a different draw of the data?

One run's accuracy can be a lucky draw. Fine-tune and distill are repeated on k stratified folds
of the training split, each scored on its held-out fold and on the fixed test split, and the
spread is reported as mean ± std (sample std, ddof=1). Train and prune are not repeated: the
question is how much the recovery from pruning depends on the data it sees. That is also why the
held-out-fold accuracy is optimistic (the dense model was trained on those samples before it was
pruned) and the gate's ``kfold_accuracy_*`` metrics read the test accuracy instead.
"""

import logging
from typing import Any

import numpy as np

from prunegate import progress
from prunegate.compression import schedules
from prunegate.compression.distill import DistillConfig, distill
from prunegate.compression.prune import PruneConfig
from prunegate.data.splits import take
from prunegate.errors import DataError
from prunegate.models import Checkpoint
from prunegate.training.loop import TrainConfig, accuracy

log = logging.getLogger(__name__)


def kfold_stability(pruned: Checkpoint, baseline: Checkpoint, train: dict[str, np.ndarray],
                    test: dict[str, np.ndarray], k: int, finetune: TrainConfig,
                    kd: DistillConfig, distill_training: TrainConfig,
                    prune: PruneConfig | None = None, seed: int = 0) -> dict[str, Any]:
    """``{"k", "folds": [...], "held_out_accuracy": {mean, std}, "test_accuracy": {mean, std}}``."""
    counts = np.unique(train["y"], return_counts=True)[1]
    smallest = int(counts.min()) if len(counts) else 0
    if smallest < k:
        raise DataError(f"validate.kfold={k} needs at least {k} training samples of every class; "
                        f"the rarest class has {smallest}. Lower validate.kfold.")
    from sklearn.model_selection import StratifiedKFold  # 1.6 s to import: only when k-fold runs

    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    folds = []
    for i, (fit_idx, held_idx) in enumerate(progress.bar(splitter.split(train["x"], train["y"]),
                                                 total=k, desc="k-fold", leave=False), start=1):
        fit_part, held_out = take(train, fit_idx), take(train, held_idx)
        tuned, _ = schedules.finetune(pruned, fit_part, held_out, finetune,
                                      prune or PruneConfig(), desc=f"fold {i} finetune")
        student, _ = distill(tuned, baseline, fit_part, held_out, kd, distill_training)
        folds.append({"fold": i, "train_rows": len(fit_idx), "held_out_rows": len(held_idx),
                      "held_out_accuracy": accuracy(student.model, held_out),
                      "test_accuracy": accuracy(student.model, test)})
        log.info("fold %d/%d: held-out accuracy %.4f, test accuracy %.4f", i, k,
                 folds[-1]["held_out_accuracy"], folds[-1]["test_accuracy"])
    return {"k": k, "folds": folds,
            **{key: _spread([f[key] for f in folds])
               for key in ("held_out_accuracy", "test_accuracy")}}


def _spread(values: list[float]) -> dict[str, float]:
    return {"mean": float(np.mean(values)), "std": float(np.std(values, ddof=1))}
