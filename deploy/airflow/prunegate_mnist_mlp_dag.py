
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

    @task(task_id="ingest-load-raw-data")
    def ingest_load_raw_data():
        _run_kedro_node(node_names=["ingest.load_raw_data"])

    @task(task_id="ingest-split-data")
    def ingest_split_data():
        _run_kedro_node(node_names=["ingest.split_data"])

    @task(task_id="validate-data-validate-data")
    def validate_data_validate_data():
        _run_kedro_node(node_names=["validate_data.validate_data"])

    @task(task_id="train-train-baseline")
    def train_train_baseline():
        _run_kedro_node(node_names=["train.train_baseline"])

    @task(task_id="prune-prune-model")
    def prune_prune_model():
        _run_kedro_node(node_names=["prune.prune_model"])

    @task(task_id="quantize-export-baseline")
    def quantize_export_baseline():
        _run_kedro_node(node_names=["quantize.export_baseline"])

    @task(task_id="finetune-finetune-model")
    def finetune_finetune_model():
        _run_kedro_node(node_names=["finetune.finetune_model"])

    @task(task_id="validate-kfold-stability")
    def validate_kfold_stability():
        _run_kedro_node(node_names=["validate.kfold_stability"])

    @task(task_id="distill-distill-model")
    def distill_distill_model():
        _run_kedro_node(node_names=["distill.distill_model"])

    @task(task_id="quantize-export-distilled")
    def quantize_export_distilled():
        _run_kedro_node(node_names=["quantize.export_distilled"])

    @task(task_id="quantize-quantize-model")
    def quantize_quantize_model():
        _run_kedro_node(node_names=["quantize.quantize_model"])

    @task(task_id="validate-measure-and-gate")
    def validate_measure_and_gate():
        _run_kedro_node(node_names=["validate.measure_and_gate"])

    @task(task_id="validate-build-report")
    def validate_build_report():
        _run_kedro_node(node_names=["validate.build_report"])

    tasks = {
        "ingest-load-raw-data": ingest_load_raw_data(),
        "ingest-split-data": ingest_split_data(),
        "validate-data-validate-data": validate_data_validate_data(),
        "train-train-baseline": train_train_baseline(),
        "prune-prune-model": prune_prune_model(),
        "quantize-export-baseline": quantize_export_baseline(),
        "finetune-finetune-model": finetune_finetune_model(),
        "validate-kfold-stability": validate_kfold_stability(),
        "distill-distill-model": distill_distill_model(),
        "quantize-export-distilled": quantize_export_distilled(),
        "quantize-quantize-model": quantize_quantize_model(),
        "validate-measure-and-gate": validate_measure_and_gate(),
        "validate-build-report": validate_build_report(),
    }
    tasks["ingest-load-raw-data"] >> tasks["ingest-split-data"]
    tasks["ingest-split-data"] >> tasks["validate-data-validate-data"]
    tasks["ingest-split-data"] >> tasks["train-train-baseline"]
    tasks["validate-data-validate-data"] >> tasks["train-train-baseline"]
    tasks["ingest-split-data"] >> tasks["prune-prune-model"]
    tasks["train-train-baseline"] >> tasks["prune-prune-model"]
    tasks["ingest-split-data"] >> tasks["quantize-export-baseline"]
    tasks["train-train-baseline"] >> tasks["quantize-export-baseline"]
    tasks["ingest-split-data"] >> tasks["finetune-finetune-model"]
    tasks["prune-prune-model"] >> tasks["finetune-finetune-model"]
    tasks["ingest-split-data"] >> tasks["validate-kfold-stability"]
    tasks["prune-prune-model"] >> tasks["validate-kfold-stability"]
    tasks["train-train-baseline"] >> tasks["validate-kfold-stability"]
    tasks["finetune-finetune-model"] >> tasks["distill-distill-model"]
    tasks["ingest-split-data"] >> tasks["distill-distill-model"]
    tasks["train-train-baseline"] >> tasks["distill-distill-model"]
    tasks["distill-distill-model"] >> tasks["quantize-export-distilled"]
    tasks["ingest-split-data"] >> tasks["quantize-export-distilled"]
    tasks["distill-distill-model"] >> tasks["quantize-quantize-model"]
    tasks["ingest-split-data"] >> tasks["quantize-quantize-model"]
    tasks["quantize-export-distilled"] >> tasks["quantize-quantize-model"]
    tasks["distill-distill-model"] >> tasks["validate-measure-and-gate"]
    tasks["finetune-finetune-model"] >> tasks["validate-measure-and-gate"]
    tasks["ingest-split-data"] >> tasks["validate-measure-and-gate"]
    tasks["prune-prune-model"] >> tasks["validate-measure-and-gate"]
    tasks["quantize-export-baseline"] >> tasks["validate-measure-and-gate"]
    tasks["quantize-export-distilled"] >> tasks["validate-measure-and-gate"]
    tasks["quantize-quantize-model"] >> tasks["validate-measure-and-gate"]
    tasks["train-train-baseline"] >> tasks["validate-measure-and-gate"]
    tasks["validate-kfold-stability"] >> tasks["validate-measure-and-gate"]
    tasks["prune-prune-model"] >> tasks["validate-build-report"]
    tasks["quantize-quantize-model"] >> tasks["validate-build-report"]
    tasks["validate-measure-and-gate"] >> tasks["validate-build-report"]


prunegate()