from kedro.pipeline import Pipeline, node, pipeline

from .nodes import prune_model


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline([
        node(prune_model, inputs=["baseline_model", "train", "val", "test", "config:chain",
                                  "config:target", "config:gates"],
             outputs=["pruned_model", "prune_report"], name="prune_model"),
    ], tags="prune")
