from kedro.pipeline import Pipeline, node, pipeline

from .nodes import prune_model


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline([
        node(prune_model, inputs=["baseline_model", "train", "val", "test", "params:prune",
                                  "params:validate", "params:targets", "params:finetune",
                                  "params:quantize", "params:gates"],
             outputs=["pruned_model", "prune_report"], name="prune_model"),
    ], tags="prune")
