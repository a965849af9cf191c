from kedro.pipeline import Pipeline, node, pipeline

from .nodes import export_model, quantize_model


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline([
        node(export_model, inputs=["baseline_model", "test"], outputs="baseline_onnx",
             name="export_baseline"),
        node(export_model, inputs=["distilled_model", "test"], outputs="distilled_onnx",
             name="export_distilled"),
        node(quantize_model,
             inputs=["distilled_onnx", "distilled_model", "train", "val", "config:chain",
                     "config:target"],
             outputs=["quantized_onnx", "quantize_report"], name="quantize_model"),
    ], tags="quantize")
