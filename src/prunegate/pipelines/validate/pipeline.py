from kedro.pipeline import Pipeline, node, pipeline

from .nodes import gate, measure_stages


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline([
        node(measure_stages,
             inputs=["baseline_onnx", "pruned_model", "finetuned_model", "distilled_onnx",
                     "quantized_onnx", "test", "params:validate"],
             outputs="metrics", name="measure_stages"),
        node(gate, inputs=["metrics", "params:gates"], outputs="gate_verdict", name="gate"),
    ], tags="validate")
