"""Classification quality of an ONNX model on a split.

The same definitions as scikit-learn's (zero_division=0; a test checks they agree), in numpy:
scikit-learn's import costs ~1.6 s, paid by every ``kedro run`` and ``prunegate`` command.
"""

from typing import Any

import numpy as np
import onnxruntime as ort

from prunegate.onnx_io.inputs import feeds

NO_CLASS = -1  # the prediction for an output row with NaN or inf: wrong for every label


def predict_onnx(session: ort.InferenceSession, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Class predictions; a row whose outputs are not all finite predicts ``NO_CLASS`` (argmax
    would read a NaN row as class 0 and could count it right)."""
    return predictions(logits_onnx(session, x, batch_size))


def logits_onnx(session: ort.InferenceSession, x: np.ndarray, batch_size: int = 256
                ) -> np.ndarray:
    """The model's first output for every sample, in batches."""
    return np.concatenate([session.run(None, feeds(session, x[i:i + batch_size]))[0]
                           for i in range(0, len(x), batch_size)])


def predictions(logits: np.ndarray) -> np.ndarray:
    finite = np.isfinite(logits).reshape(len(logits), -1).all(axis=1)
    return np.where(finite, logits.argmax(1), NO_CLASS)


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray,
                           labels: list[int] | None = None,
                           classes: list[str] | None = None) -> dict[str, Any]:
    """Accuracy; macro and weighted precision, recall and F1; per-class scores; confusion.
    ``classes`` names every class id (the data's class names), so per-class scores say which
    class they are about."""
    labels = labels if labels is not None else sorted(set(y_true.tolist()))
    confusion = confusion_matrix(y_true, y_pred, labels)
    hits = np.diag(confusion).astype(float)
    # counted over all samples: a prediction outside ``labels`` still misses its true class
    support = np.array([np.sum(y_true == label) for label in labels], dtype=float)
    predicted = np.array([np.sum(y_pred == label) for label in labels], dtype=float)
    p, r = _ratio(hits, predicted), _ratio(hits, support)
    f = _ratio(2 * p * r, p + r)
    out: dict[str, Any] = {"accuracy": float(np.mean(y_true == y_pred))}
    weights = support / support.sum() if support.sum() else np.zeros_like(support)
    for average, w in (("macro", np.full(len(labels), 1 / len(labels))), ("weighted", weights)):
        out |= {f"precision_{average}": float(p @ w), f"recall_{average}": float(r @ w),
                f"f1_{average}": float(f @ w)}
    out["min_class_recall"] = float(r.min())
    out["per_class"] = {"labels": list(labels), "precision": p.tolist(), "recall": r.tolist(),
                        "f1": f.tolist(), "support": support.astype(int).tolist()}
    if classes is not None:
        out["per_class"]["names"] = [str(classes[label]) for label in labels]
    out["confusion_matrix"] = confusion.tolist()
    return out


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, labels: list[int]) -> np.ndarray:
    """Rows: true label, columns: predicted, in ``labels`` order; other labels are ignored."""
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for t, q in zip(y_true.tolist(), y_pred.tolist(), strict=True):
        if t in index and q in index:
            matrix[index[t], index[q]] += 1
    return matrix


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros_like(num, dtype=float), where=den > 0)
