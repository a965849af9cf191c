from kedro.pipeline import Pipeline, node, pipeline

from .nodes import distill_model


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline([
        node(distill_model,
             inputs=["finetuned_model", "baseline_model", "train", "val", "config:chain"],
             outputs=["distilled_model", "distill_history"], name="distill_model"),
    ], tags="distill")
