"""The Airflow DAG kedro-airflow writes for the compress pipeline (deploy/airflow/)."""

import ast
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
DAG = ROOT / "deploy" / "airflow" / "prunegate_mnist_mlp_dag.py"
KEDRO = Path(sys.executable).with_name("kedro")


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """`make airflow-dag`'s command, into a scratch folder."""
    out = tmp_path_factory.mktemp("dag")
    done = subprocess.run([str(KEDRO), "airflow", "create", "--params", "recipe=mnist_mlp",
                           "--target-dir", str(out), "--jinja-file",
                           "deploy/airflow/dag_template.j2"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "true"})
    assert done.returncode == 0, done.stderr[-2000:]
    return (out / "prunegate_dag.py").rename(out / DAG.name)


def test_the_committed_dag_is_what_the_pipeline_generates(generated):
    assert generated.read_text() == DAG.read_text(), \
        "deploy/airflow is stale: run `make airflow-dag` and commit it"


def test_one_task_per_node_wired_like_the_kedro_pipeline(generated):
    from kedro.framework.project import pipelines
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(ROOT)
    pipeline = pipelines["__default__"]
    source = generated.read_text()
    tree = ast.parse(source)  # valid Python
    # a node's task id is its namespaced name slugified: prune.prune_model -> prune-prune-model
    slug = {n.name: re.sub(r"[._]", "-", n.name) for n in pipeline.nodes}
    assert sorted(_task_ids(tree)) == sorted(slug.values())
    edges = {(slug[parent.name], slug[child.name])
             for child, parents in pipeline.node_dependencies.items() for parent in parents}
    assert set(_edges(tree)) == edges
    assert 'schedule="@weekly"' in source and "retries=0" in source
    assert 'os.environ.get("PRUNEGATE_PROJECT"' in source


def _task_ids(tree: ast.AST) -> list[str]:
    """The ``@task(task_id=...)`` of every task function."""
    return [kw.value.value for node in ast.walk(tree) if isinstance(node, ast.Call)
            for kw in node.keywords if kw.arg == "task_id"]


def _edges(tree: ast.AST):
    """``tasks["a"] >> tasks["b"]`` statements as (a, b)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.RShift):
            yield node.left.slice.value, node.right.slice.value


def test_the_dag_imports_in_airflow(generated):
    if importlib.util.find_spec("airflow") is None:
        pytest.skip("Airflow is not installed here (it runs on the scheduler, not in this "
                    "venv): pip install apache-airflow to run this check")
    from airflow.models import DagBag

    bag = DagBag(dag_folder=str(generated.parent))   # parses only: no metadata database
    assert not bag.import_errors, bag.import_errors
    dag = bag.dags["prunegate-mnist-mlp"]
    assert len(dag.tasks) == 13 and dag.max_active_runs == 1
    assert "prune-prune-model" in dag.get_task("validate-measure-and-gate").upstream_task_ids
