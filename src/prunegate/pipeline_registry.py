"""Project pipelines: one per stage, and ``__default__`` chaining them all.

Kedro 1.7 loads only the pipelines a run asks for, so ``__default__`` is built from whatever was
found; Kedro orders the nodes by their inputs and outputs, so the sum needs no explicit order.
Each stage is a namespace (its nodes are ``prune.prune_model``, ...), so kedro-viz collapses a
stage into one box; its datasets keep their names, which the catalog and the stages share.
"""

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline


def register_pipelines() -> dict[str, Pipeline]:
    pipelines = {name: Pipeline(found, namespace=name, prefix_datasets_with_namespace=False)
                 for name, found in find_pipelines(raise_errors=True).items()
                 if name != "__default__"}
    pipelines["__default__"] = sum(
        (p for name, p in pipelines.items() if name != "__default__"), Pipeline([]))
    return pipelines
