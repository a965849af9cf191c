from kedro.pipeline import Pipeline, node, pipeline

from .nodes import build_report, kfold_stability_report, measure_and_gate_stages


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline([
        node(kfold_stability_report,
             inputs=["pruned_model", "baseline_model", "train", "test", "config:chain",
                     "config:validate"],
             outputs="kfold_report", name="kfold_stability"),
        node(measure_and_gate_stages,
             inputs=["baseline_onnx", "baseline_model", "pruned_model", "finetuned_model",
                     "distilled_model", "distilled_onnx", "quantized_onnx", "champion_onnx",
                     "champion_split", "test", "kfold_report", "config:validate", "config:target",
                     "config:gates"],
             outputs=["metrics", "gate_verdict", "latency_samples"], name="measure_and_gate"),
        node(build_report, inputs=["metrics", "gate_verdict", "prune_report", "quantize_report",
                                   "latency_samples"],
             outputs=["gate_summary", "report_html", "pareto"], name="build_report"),
    ], tags="validate")
