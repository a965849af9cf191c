"""The served model: a logged ONNX model behind MLflow's pyfunc interface, answering with class
labels and probabilities beside the logits.

MLflow logs this file as "models from code": it is copied into every logged model, so serving
(``mlflow models serve``, ``mlflow models predict``, ``mlflow.pyfunc.load_model``) needs only
numpy and onnxruntime, not prunegate. The ONNX file beside it (``artifacts/model.onnx``) is the
byte-identical artifact the gate measured; this wrapper only post-processes its output.
"""

import mlflow
import numpy as np
import onnxruntime as ort
from mlflow.pyfunc import PythonModel

ONNX_ARTIFACT = "onnx"  # the key of artifacts/model.onnx in the logged model


class OnnxClassifier(PythonModel):
    """``predict`` returns ``{"logits", "probabilities", "label"}`` for a batch."""

    def load_context(self, context) -> None:
        self.session = ort.InferenceSession(context.artifacts[ONNX_ARTIFACT],
                                            providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]

    # np.ndarray is one of the hints MLflow validates nothing against (a dict of named arrays
    # passes as it is): with no hint at all it warns on every load
    def predict(self, context, model_input: np.ndarray, params=None) -> dict[str, np.ndarray]:
        if isinstance(model_input, dict):   # named inputs: {"input": x} or ids and mask
            feeds = {name: np.asarray(model_input[name]) for name in self.inputs}
        else:                               # one unnamed array
            feeds = {self.inputs[0]: np.asarray(model_input)}
        logits = self.session.run(None, feeds)[0]
        # softmax in float64: a confident fp32 logit gap overflows exp() otherwise
        shifted = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        probabilities = (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)
        return {"logits": logits, "probabilities": probabilities,
                "label": logits.argmax(axis=1).astype(np.int64)}


mlflow.models.set_model(OnnxClassifier())
