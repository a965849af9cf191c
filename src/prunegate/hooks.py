"""The Kedro hook that checks the parameters, tracks the run in MLflow and applies the gate.

Nodes stay pure: they return models, curves, reports and verdicts as outputs, and this hook hands
them to ``registry`` (the only MLflow code). Order matters for safety: parameters are checked and
the tracking store is reached before the first node runs, and ``champion`` moves only after the
gate passed and the registered artifact was verified against what was validated.
"""

import logging
from typing import Any

import onnx
from kedro.framework.hooks import hook_impl

from prunegate import registry
from prunegate.compression.export import export_onnx
from prunegate.data.expectations import require_valid
from prunegate.gates import raise_unless_passed
from prunegate.models import Checkpoint
from prunegate.params import check_params
from prunegate.report import measured_choices, plot_history, summary_table
from prunegate.resolution import require_resolvable

log = logging.getLogger(__name__)
summary = logging.getLogger("prunegate.summary")

# each stage's child run records the parameter sections that stage reads
STAGE_PARAMS = {"ingest": ("data",), "validate_data": ("validate_data",),
                "train": ("model", "train"), "prune": ("prune", "validate", "targets"),
                # quantize.mode 'qap' makes fine-tune and distill quantization-aware
                "finetune": ("finetune", "prune", "quantize"),
                "distill": ("distill", "quantize"), "quantize": ("quantize",),
                "validate": ("validate", "targets", "gates")}
REPORTS = ("data_validation", "prune_report", "quantize_report", "kfold_report")


class PrunegateHooks:
    def __init__(self) -> None:
        self.tracker: registry.RunTracker | None = None

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline, catalog) -> None:
        params = catalog.load("parameters")
        self.configs = check_params(params)
        self.params, self.verdict, self.deployable_uri = params, None, None
        self.model_name = self.configs["mlflow"].registered_model
        self.tracker = registry.RunTracker(self.configs["mlflow"], params.get("recipe", "run"),
                                           params)
        # the gate compares against, and promotion compare-and-sets on, the champion this run
        # started with; its bytes are verified against its validated SHA-256 before use
        self.champion_at_start = registry.champion_version(self.model_name)
        if "gate_verdict" in pipeline.all_outputs():  # a stale record must not outlive its run
            catalog["registration"].remove()
        if "champion_onnx" in pipeline.inputs():
            catalog["champion_onnx"].remove()
            catalog["champion_split"].remove()
            if self.champion_at_start is not None:
                data = registry.fetch_for_gate(self.model_name, self.champion_at_start,
                                               "champion")
                catalog.save("champion_onnx", onnx.load_from_string(data))
                catalog.save("champion_split", registry.split_of(self.model_name,
                                                                 self.champion_at_start))

    @hook_impl
    def before_node_run(self, node, catalog, inputs, is_async, run_id) -> None:
        stage = next((t for t in node.tags if t in STAGE_PARAMS), None)
        if stage == "train":  # before anything trains: can the test split decide the gate?
            for row in require_resolvable(self.configs["gates"], len(catalog.load("test")["y"]),
                                          self.configs["data"].test_fraction):
                log.info("gate check %s <= %g pp: %d test samples resolve %.2f pp (expected "
                         "disagreement %.0f%%)", row["check"], row["limit_pp"],
                         row["test_samples"], row["resolution_pp"],
                         100 * self.configs["gates"].expected_disagreement)
        if self.tracker is not None and stage is not None:
            self.tracker.start_stage(stage, {key: self.params.get(key) or {}
                                             for key in STAGE_PARAMS[stage]})

    @hook_impl
    def after_node_run(self, node, catalog, inputs, outputs, is_async, run_id) -> None:
        if self.tracker is None:
            return
        for name, value in outputs.items():
            if isinstance(value, Checkpoint):
                example = catalog.load("test")["x"][:1]
                self.tracker.log_model(export_onnx(value.model, example.shape[1:]),
                                       name.removesuffix("_model"), example)
            elif name == "quantized_onnx":
                self.deployable_uri = self.tracker.log_model(value, "deployable",
                                                             catalog.load("test")["x"][:1])
            elif name.endswith("_history"):
                self.tracker.log_history(value)
                self.tracker.log_figure(plot_history(value, name), f"{name}.png")
            elif name in REPORTS:
                self.tracker.log_dict(value, f"{name}.json")
                if name in ("prune_report", "quantize_report"):  # a timing may have chosen
                    for choice in measured_choices(**{name: value}):
                        self.tracker.log_choice(choice["pin"])
            elif name == "metrics":
                for stage, metrics in value["stages"].items():
                    self.tracker.log_metrics(metrics, prefix=f"{stage}.")
            elif name in ("gate_summary", "report_html"):
                self.tracker.log_text(value, {"gate_summary": "gate.md",
                                              "report_html": "report.html"}[name])
            elif name == "gate_verdict":
                self.verdict = value
                self.tracker.log_dict(value, "gate.json")

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, data: Any, node) -> None:
        # the data gate: the report is on disk (and logged) by now; nothing after it may run
        if dataset_name == "data_validation":
            require_valid(data)

    @hook_impl
    def after_pipeline_run(self, run_params, run_result, pipeline, catalog) -> None:
        if self.tracker is None:
            return
        tracker, verdict = self.tracker, self.verdict
        tracker.end_stage()
        if verdict is not None:
            metrics = catalog.load("metrics")
            try:
                self._register_and_promote(catalog, metrics, verdict)
            finally:  # the table is the last thing a user reads, whatever happened above
                summary.info("\n%s", summary_table(metrics, verdict))
        tracker.end()
        self.tracker = None
        if verdict is not None:
            raise_unless_passed(verdict)

    @hook_impl
    def on_pipeline_error(self, error, run_params, pipeline, catalog) -> None:
        if self.tracker is not None:
            self.tracker.end(status="FAILED")
            self.tracker = None

    def _register_and_promote(self, catalog, metrics: dict, verdict: dict[str, Any]) -> None:
        if self.deployable_uri is None:  # validate ran alone: log the saved artifact now
            self.deployable_uri = self.tracker.log_model(
                catalog.load("quantized_onnx"), "deployable", catalog.load("test")["x"][:1])
        test = catalog.load("test")
        candidate = metrics["stages"][metrics["candidate"]]
        model = catalog.load("quantized_onnx")
        tags = registry.release_tags(
            str(self.params.get("recipe", "")), model.SerializeToString(), verdict,
            candidate["accuracy"], self.params, test, catalog.load("train"),
            self.tracker.parent.info.run_id)
        version = registry.register_deployable(self.deployable_uri, self.model_name, tags)
        promote = verdict["passed"] and self.configs["mlflow"].promote_on_pass
        # what CI's promote job needs: which version, and the champion it was gated against
        catalog.save("registration", {
            "model": self.model_name, "version": version, "gate_passed": verdict["passed"],
            "outcome": verdict["outcome"],
            "champion_at_start": self.champion_at_start, "promoted": False})
        if promote:
            registry.promote(self.model_name, version, test, self.champion_at_start,
                             reason=f"gate passed in run {tags['run.id']}")
            catalog.save("registration", {**catalog.load("registration"), "promoted": True})
            summary.info("%s v%s is the new champion (verified: SHA-256 and test accuracy of "
                         "the registry's copy)", self.model_name, version)
        else:
            why = ("the gate passed; promotion is off (mlflow.promote / PRUNEGATE_PROMOTE), so "
                   "run `prunegate promote`" if verdict["passed"] else
                   f"the gate's outcome was {verdict['outcome']}")
            summary.info("%s v%s registered as challenger (%s); champion stays %s",
                         self.model_name, version, why,
                         f"v{self.champion_at_start}" if self.champion_at_start else "unset")

