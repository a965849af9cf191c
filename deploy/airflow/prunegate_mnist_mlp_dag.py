
from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

from airflow.sdk import dag, task

from kedro.framework.session import KedroSession
from kedro.framework.project import configure_project

# Kedro settings required to run your pipeline: the recipe (conf/recipes/<recipe>) and the
# environment layered over it (conf/local unless PRUNEGATE_ENV names a deployment environment)
recipe = "mnist_mlp"
env = os.environ.get("PRUNEGATE_ENV", "local")
pipeline_name = "__default__"
# where the project (conf/, pipelines/, data/) is checked out on the Airflow workers
project_path = Path(os.environ.get("PRUNEGATE_PROJECT", Path.cwd()))
package_name = "prunegate"
conf_source = "" or project_path / "conf"


def _run_kedro_node(node_names=None, namespaces=None):
    """Run a Kedro pipeline slice. Pass node_names for regular node groups or namespaces for namespace groups."""
    configure_project(package_name)
    with KedroSession.create(project_path=project_path, env=env, conf_source=conf_source,
                             runtime_params={"recipe": recipe}) as session:
        if namespaces is not None:
            session.run(pipeline_names=[pipeline_name], namespaces=namespaces)
        else:
            session.run(pipeline_names=[pipeline_name], node_names=node_names)


@dag(
    dag_id="prunegate-mnist-mlp",
    start_date=datetime(2026,1,1),
    max_active_runs=1,
    schedule="@weekly",
    catchup=False,
    default_args=dict(
        owner="ml-platform",
        depends_on_past=False,
        email_on_failure=False,
        email_on_retry=False,
        retries=0,
        retry_delay=timedelta(minutes=5)
    ),
)
def prunegate():

    @task(task_id="load-raw-data")
    def load_raw_data():
        _run_kedro_node(node_names=["load_raw_data"])

    @task(task_id="split-data")
    def split_data():
        _run_kedro_node(node_names=["split_data"])

    @task(task_id="validate-data")
    def validate_data():
        _run_kedro_node(node_names=["validate_data"])

    @task(task_id="train-baseline")
    def train_baseline():
        _run_kedro_node(node_names=["train_baseline"])

    @task(task_id="export-baseline")
    def export_baseline():
        _run_kedro_node(node_names=["export_baseline"])

    @task(task_id="prune-model")
    def prune_model():
        _run_kedro_node(node_names=["prune_model"])

    @task(task_id="finetune-model")
    def finetune_model():
        _run_kedro_node(node_names=["finetune_model"])

    @task(task_id="kfold-stability")
    def kfold_stability():
        _run_kedro_node(node_names=["kfold_stability"])

    @task(task_id="distill-model")
    def distill_model():
        _run_kedro_node(node_names=["distill_model"])

    @task(task_id="export-distilled")
    def export_distilled():
        _run_kedro_node(node_names=["export_distilled"])

    @task(task_id="quantize-model")
    def quantize_model():
        _run_kedro_node(node_names=["quantize_model"])

    @task(task_id="measure-and-gate")
    def measure_and_gate():
        _run_kedro_node(node_names=["measure_and_gate"])

    @task(task_id="build-report")
    def build_report():
        _run_kedro_node(node_names=["build_report"])

    tasks = {
        "load-raw-data": load_raw_data(),
        "split-data": split_data(),
        "validate-data": validate_data(),
        "train-baseline": train_baseline(),
        "export-baseline": export_baseline(),
        "prune-model": prune_model(),
        "finetune-model": finetune_model(),
        "kfold-stability": kfold_stability(),
        "distill-model": distill_model(),
        "export-distilled": export_distilled(),
        "quantize-model": quantize_model(),
        "measure-and-gate": measure_and_gate(),
        "build-report": build_report(),
    }
    tasks["load-raw-data"] >> tasks["split-data"]
    tasks["split-data"] >> tasks["validate-data"]
    tasks["split-data"] >> tasks["train-baseline"]
    tasks["validate-data"] >> tasks["train-baseline"]
    tasks["split-data"] >> tasks["export-baseline"]
    tasks["train-baseline"] >> tasks["export-baseline"]
    tasks["split-data"] >> tasks["prune-model"]
    tasks["train-baseline"] >> tasks["prune-model"]
    tasks["prune-model"] >> tasks["finetune-model"]
    tasks["split-data"] >> tasks["finetune-model"]
    tasks["prune-model"] >> tasks["kfold-stability"]
    tasks["split-data"] >> tasks["kfold-stability"]
    tasks["train-baseline"] >> tasks["kfold-stability"]
    tasks["finetune-model"] >> tasks["distill-model"]
    tasks["split-data"] >> tasks["distill-model"]
    tasks["train-baseline"] >> tasks["distill-model"]
    tasks["distill-model"] >> tasks["export-distilled"]
    tasks["split-data"] >> tasks["export-distilled"]
    tasks["distill-model"] >> tasks["quantize-model"]
    tasks["export-distilled"] >> tasks["quantize-model"]
    tasks["split-data"] >> tasks["quantize-model"]
    tasks["distill-model"] >> tasks["measure-and-gate"]
    tasks["export-baseline"] >> tasks["measure-and-gate"]
    tasks["export-distilled"] >> tasks["measure-and-gate"]
    tasks["finetune-model"] >> tasks["measure-and-gate"]
    tasks["kfold-stability"] >> tasks["measure-and-gate"]
    tasks["prune-model"] >> tasks["measure-and-gate"]
    tasks["quantize-model"] >> tasks["measure-and-gate"]
    tasks["split-data"] >> tasks["measure-and-gate"]
    tasks["train-baseline"] >> tasks["measure-and-gate"]
    tasks["measure-and-gate"] >> tasks["build-report"]
    tasks["prune-model"] >> tasks["build-report"]
    tasks["quantize-model"] >> tasks["build-report"]


prunegate()