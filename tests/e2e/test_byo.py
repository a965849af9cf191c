"""Bring your own model and data: a CSV and an image folder through the whole chain, by config
alone (the template recipe, a catalog entry and a factory in the project's src/)."""

import json

import numpy as np
import onnx
import pytest

from prunegate.data.examples import write_example_csv, write_example_images
from prunegate.models.checkpoint import load_checkpoint

from ..reliability.conftest import aliases, assert_failed_cleanly
from .conftest import LOOSE, TINY, make_project

pytestmark = pytest.mark.e2e
RECIPE = ("--config", "pipelines/template_custom.yml")
CNN = '''
from torch import nn

def tiny_cnn(input_shape, num_classes, width=8):
    channels, height, breadth = input_shape
    return nn.Sequential(nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(width, width, 3, padding=1), nn.ReLU(), nn.Flatten(),
                         nn.Linear(width * (height // 2) * (breadth // 2), num_classes))
'''


def _input_dims(path) -> list:
    dims = onnx.load(path).graph.input[0].type.tensor_type.shape.dim
    return [d.dim_value or d.dim_param for d in dims]


@pytest.fixture(scope="module")
def csv_project(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("byo_csv"))
    write_example_csv(project.path / "data/01_raw/example.csv")
    return project


def test_a_csv_runs_the_whole_chain_with_the_template(csv_project):
    project = csv_project
    done = project.run(*RECIPE, "--params", f"{TINY},{LOOSE},train.epochs=15,finetune.epochs=5")
    assert done.returncode == 0, done.stderr[-3000:]
    out = project.path / "data/template_custom"
    assert _input_dims(out / "06_models/model.int8.onnx") == ["batch", 16]
    raw = np.load(out / "01_raw/raw_data.npz")
    assert raw["classes"].tolist() == ["bronze", "gold", "platinum", "silver"]
    # the factory's model, pruned for real: narrower hidden layers, the 4-class head kept
    baseline = load_checkpoint(out / "06_models/baseline.pt").model
    pruned = load_checkpoint(out / "06_models/pruned.pt").model
    assert baseline.arch()["hidden"] == [128, 64] and pruned.arch()["hidden"] == [64, 32]
    assert pruned.classifier.out_features == 4
    metrics = json.loads((out / "08_reporting/metrics.json").read_text())
    assert metrics["stages"]["quantized"]["accuracy"] > 0.6  # 4 classes: chance is 0.25
    # per-class scores and the deployable name the classes, not just their ids
    assert metrics["stages"]["quantized"]["per_class"]["names"] == raw["classes"].tolist()
    meta = {p.key: p.value for p in onnx.load(out / "06_models/model.int8.onnx").metadata_props}
    assert json.loads(meta["prunegate.classes"]) == raw["classes"].tolist()
    assert aliases(project)["prunegate-template-custom"]["champion"] == "1"


def test_bad_byo_config_is_refused_before_anything_runs(csv_project):
    project, before = csv_project, aliases(csv_project)
    catalog = project.path / "conf/recipes/template_custom/catalog.yml"
    good = catalog.read_text()
    catalog.write_text(good.replace("label_column: label", "label_column: tier"))
    done = project.run(*RECIPE, "--params", f"{TINY},{LOOSE}")
    assert_failed_cleanly(project, done, 2, "has no label column 'tier'. Its columns: f0, f1",
                          "Set label_column on the catalog entry raw_input", before)
    catalog.write_text(good)
    params = project.path / "conf/recipes/template_custom/parameters.yml"
    text = params.read_text()
    params.write_text(text.replace('"prunegate.models.zoo:LeNet300100"', '"my_pkg.models:build"'))
    done = project.run(*RECIPE, "--params", f"{TINY},{LOOSE}")
    assert_failed_cleanly(project, done, 2, "model.factory 'my_pkg.models:build': cannot import",
                          "Install the package that holds it", before)
    params.write_text(text)


def test_an_image_folder_and_a_factory_in_src(tmp_path, monkeypatch):
    project = make_project(tmp_path)
    (project.path / "src/byo_models.py").write_text(CNN)
    monkeypatch.syspath_prepend(project.path / "src")  # kedro puts src/ on the path; so do we
    images = project.path / "data/01_raw/shapes"
    write_example_images(images, per_class=350, size=12)
    catalog = project.path / "conf/recipes/template_custom/catalog.yml"
    catalog.write_text("raw_input:\n  type: prunegate.datasets.ImageFolderDataset\n"
                       f"  path: {images}\n")
    params = project.path / "conf/recipes/template_custom/parameters.yml"
    params.write_text(params.read_text()
                      .replace('"prunegate.models.zoo:LeNet300100"', '"byo_models:tiny_cnn"')
                      .replace("kwargs: {hidden: [128, 64]}", "kwargs: {}")
                      )
    # one odd-sized image: a clear error naming it and the fix, nothing registered
    from PIL import Image
    Image.new("L", (9, 12)).save(images / "square" / "odd.png")
    done = project.run(*RECIPE, "--params", f"{TINY},{LOOSE}")
    assert_failed_cleanly(project, done, 2, "images differ in size",
                          "Set size: [height, width] on raw_input", {})
    (images / "square" / "odd.png").unlink()
    done = project.run(*RECIPE, "--params", f"{TINY},{LOOSE},train.epochs=10,finetune.epochs=4")
    assert done.returncode == 0, done.stderr[-3000:]
    out = project.path / "data/template_custom"
    assert _input_dims(out / "06_models/model.int8.onnx") == ["batch", 1, 12, 12]
    pruned = load_checkpoint(out / "06_models/pruned.pt").model
    assert pruned[0].out_channels == 4 and pruned[-1].out_features == 3
    assert json.loads((out / "08_reporting/metrics.json").read_text())[
        "stages"]["quantized"]["accuracy"] > 0.6


def test_a_test_split_too_small_for_the_limit_is_refused_before_training(tmp_path):
    """600 rows (~120 test rows, like scikit-learn's breast cancer data): the template's
    2.5 pp limit cannot be decided on them, and the run says so before anything trains,
    with the limit that can; the row floors of the data gate scale with the classes."""
    project = make_project(tmp_path)
    write_example_csv(project.path / "data/01_raw/example.csv", rows=600)
    done = project.run(*RECIPE, "--params", TINY)
    message = assert_failed_cleanly(project, done, 2, "finer than the test split can resolve",
                                    "or a limit of at least", {})
    assert ("max_accuracy_drop_pp <= 2.5 pp and max_robust_drop_pp <= 2.5 pp and "
            "no_worse_than_champion <= 2.5 pp are") in message
    assert "more data (>= 347 test samples)" in message
    assert not (project.path / "data/template_custom/06_models/baseline.pt").exists()
    limit = message.split("or a limit of at least ")[1].split(" pp")[0]
    done = project.run(*RECIPE, "--to-nodes", "train.train_baseline", "--params",
                       f"{TINY},gates.max_accuracy_drop_pp={limit},"
                       f"gates.max_robust_drop_pp={limit},"
                       f"gates.checks.no_worse_than_champion.threshold={limit}")
    assert done.returncode == 0, done.stderr[-3000:]
