"""Project pipelines: one per stage, and ``__default__`` chaining them all.

Kedro 1.7 loads only the pipelines a run asks for, so ``__default__`` is built from whatever was
found; Kedro orders the nodes by their inputs and outputs, so the sum needs no explicit order.
"""

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline


def register_pipelines() -> dict[str, Pipeline]:
    pipelines = find_pipelines(raise_errors=True)
    pipelines["__default__"] = sum(
        (p for name, p in pipelines.items() if name != "__default__"), Pipeline([]))
    return pipelines
