"""Team mode: the pipeline against MLflow backed by a real PostgreSQL (started by .ci/run)."""

import os
import uuid

import pytest

from prunegate.registry.tracking import redact

from .conftest import LOOSE, TINY

pytestmark = pytest.mark.e2e
ADMIN_URI = os.environ.get("PRUNEGATE_TEST_POSTGRES_URI")


@pytest.fixture
def database():
    """A fresh database per test, so runs on a reused machine never see old versions."""
    if not ADMIN_URI:
        pytest.skip("no PostgreSQL: .ci/run starts one and sets PRUNEGATE_TEST_POSTGRES_URI")
    import sqlalchemy as sa

    name = f"prunegate_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(ADMIN_URI, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    yield ADMIN_URI.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


def test_pipeline_registers_and_promotes_on_postgres_without_leaking_the_password(project,
                                                                                   database):
    password = database.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
    # the URI with its password sits only in Kedro's credentials, in git-ignored conf/local, as a
    # team would keep it; the recipe's run must layer conf/local over conf/recipes/mnist_mlp
    (project.path / "conf/local/credentials.yml").write_text(
        f"mlflow:\n  tracking_uri: {database}\n")
    project.uri = ""                         # no MLFLOW_TRACKING_URI: conf/local must be used
    result = project.run("--config", "pipelines/mnist_mlp.yml", "--params", f"{TINY},{LOOSE}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert password not in result.stdout + result.stderr

    import mlflow
    client = mlflow.MlflowClient(tracking_uri=database)
    model = client.get_registered_model("prunegate-mnist-mlp")
    assert {k: str(v) for k, v in model.aliases.items()} == {"champion": "1", "challenger": "1"}
    runs = client.search_runs([client.get_experiment_by_name("prunegate").experiment_id])
    assert len(runs) == 9                    # one parent, eight stages
    for run in runs:
        for value in [*run.data.params.values(), *run.data.tags.values()]:
            assert password not in value
    assert redact(database) != database and password not in redact(database)
