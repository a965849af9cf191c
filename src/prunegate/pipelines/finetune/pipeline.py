from kedro.pipeline import Pipeline, node, pipeline

from .nodes import finetune_model


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline([
        node(finetune_model,
             inputs=["pruned_model", "train", "val", "config:chain"],
             outputs=["finetuned_model", "finetune_history"], name="finetune_model"),
    ], tags="finetune")
