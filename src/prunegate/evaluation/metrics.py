"""Classification quality of an ONNX model on a split, computed with scikit-learn."""

import numpy as np
import onnxruntime as ort
from sklearn.metrics import accuracy_score, f1_score


def predict_onnx(session: ort.InferenceSession, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    name = session.get_inputs()[0].name
    return np.concatenate([session.run(None, {name: x[i:i + batch_size]})[0].argmax(1)
                           for i in range(0, len(x), batch_size)])


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    return {"accuracy": float(accuracy_score(y_true, y_pred)),
            "f1_macro": float(f1_score(y_true, y_pred, average="macro"))}
