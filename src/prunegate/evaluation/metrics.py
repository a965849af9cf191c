"""Classification quality of an ONNX model on a split, computed with scikit-learn."""

from typing import Any

import numpy as np
import onnxruntime as ort
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support


def predict_onnx(session: ort.InferenceSession, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    name = session.get_inputs()[0].name
    return np.concatenate([session.run(None, {name: x[i:i + batch_size]})[0].argmax(1)
                           for i in range(0, len(x), batch_size)])


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray,
                           labels: list[int] | None = None) -> dict[str, Any]:
    """Accuracy; macro and weighted precision, recall and F1; per-class scores; confusion."""
    labels = labels if labels is not None else sorted(set(y_true.tolist()))
    out: dict[str, Any] = {"accuracy": float(accuracy_score(y_true, y_pred))}
    for average in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=labels,
                                                     average=average, zero_division=0)
        out |= {f"precision_{average}": float(p), f"recall_{average}": float(r),
                f"f1_{average}": float(f)}
    p, r, f, support = precision_recall_fscore_support(y_true, y_pred, labels=labels,
                                                       zero_division=0)
    out["min_class_recall"] = float(r.min())
    out["per_class"] = {"labels": list(labels), "precision": p.tolist(), "recall": r.tolist(),
                        "f1": f.tolist(), "support": support.tolist()}
    out["confusion_matrix"] = confusion_matrix(y_true, y_pred, labels=labels).tolist()
    return out
