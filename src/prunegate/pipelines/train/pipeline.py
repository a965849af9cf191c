from kedro.pipeline import Pipeline, node, pipeline

from .nodes import train_baseline


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline([
        node(train_baseline, inputs=["train", "val", "config:model", "config:train",
                                             "data_validation"],
             outputs=["baseline_model", "train_history"], name="train_baseline"),
    ], tags="train")
