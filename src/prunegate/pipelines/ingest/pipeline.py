from kedro.pipeline import Pipeline, node, pipeline

from .nodes import load_raw_data, split_data


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline([
        node(load_raw_data, inputs=["raw_input", "config:data"], outputs="raw_data",
             name="load_raw_data"),
        node(split_data, inputs=["raw_data", "config:data"], outputs=["train", "val", "test"],
             name="split_data"),
    ], tags="ingest")
