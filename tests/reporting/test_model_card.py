"""The MLflow-facing text: the parent run's headline, the model card, where to look."""

from prunegate.reporting.model_card import headline, model_card, run_note, where_to_look

METRICS = {"candidate": "quantized", "baseline": "baseline", "stages": {
    "baseline": {"accuracy": 0.93, "size_bytes": 1000, "energy_uj": 100.0},
    "finetuned": {"accuracy": 0.92},
    "quantized": {"accuracy": 0.925, "accuracy_drop_pp": 0.5, "size_bytes": 50,
                  "latency_p95_ratio": 0.4, "energy_uj": 10.0}}}
FAILED = {"passed": False, "outcome": "fail", "checks": [
    {"name": "min_accuracy", "passed": True}, {"name": "max_size_ratio", "passed": False}]}


def test_headline_is_the_candidate_against_the_dense_model():
    figures = headline(METRICS, FAILED)
    assert figures["size_ratio"] == 0.05 and figures["energy_ratio"] == 0.1
    assert figures["gate_passed"] == 0.0 and figures["latency_p95_ratio"] == 0.4
    assert "robust_accuracy" not in figures           # not measured: not invented


def test_the_model_card_says_what_was_done_and_what_failed():
    params = {"prune": {"granularity": "neurons", "criterion": "taylor", "sparsity": 0.7},
              "finetune": {"epochs": 3}, "quantize": {"mode": "static"}}
    card = model_card("r", params, METRICS, FAILED, "run1", "7")
    assert card.startswith("**prunegate recipe `r`**, gate **FAIL** (failed: max_size_ratio)")
    assert "- pruning: neurons by taylor, local scope, sparsity 0.7, one_shot schedule" in card
    assert "- fine-tuning: 3 epochs" in card and "- quantization: static" in card
    assert "| size vs dense | 0.050× (50 B) |" in card
    assert "runs:/run1" in card and "#/experiments/7/runs/run1" in card
    assert run_note("r", METRICS, FAILED).startswith("r: gate FAIL, accuracy 0.9250 (+0.50 pp")


def test_where_to_look_names_the_report_and_the_run_in_the_ui():

    local = where_to_look("data/08_reporting/report.html", "sqlite:///mlflow.db", "1", "abc")
    assert local.splitlines() == [
        "report: data/08_reporting/report.html (open it in a browser)",
        "MLflow: `mlflow ui --backend-store-uri sqlite:///mlflow.db`, then "
        "http://127.0.0.1:5000/#/experiments/1/runs/abc"]
    server = where_to_look("r.html", "http://mlflow:5000/", "2", "xyz")
    assert server.endswith("MLflow: http://mlflow:5000/#/experiments/2/runs/xyz")
