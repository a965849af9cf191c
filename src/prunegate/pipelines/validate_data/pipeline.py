from kedro.pipeline import Pipeline, node, pipeline

from .nodes import validate_data


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline([
        node(validate_data, inputs=["train", "val", "test", "config:validate_data"],
             outputs="data_validation", name="validate_data"),
    ], tags="validate_data")
