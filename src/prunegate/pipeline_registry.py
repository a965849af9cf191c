"""Project pipelines: one per stage, and ``__default__`` chaining them all."""

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

STAGES = ("ingest", "train", "prune", "finetune", "distill", "quantize", "validate")


def register_pipelines() -> dict[str, Pipeline]:
    pipelines = find_pipelines(raise_errors=True)
    pipelines["__default__"] = sum((pipelines[s] for s in STAGES), Pipeline([]))
    return pipelines
