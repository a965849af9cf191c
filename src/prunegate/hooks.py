"""The Kedro hook that checks the parameters, tracks the run in MLflow and applies the gate.

Nodes stay pure: they return curves, reports and verdicts as outputs, and this hook hands them to
``registry`` (the only MLflow code). Order matters for safety: parameters are checked and the
tracking store is reached before the first node runs, and the ``champion`` alias moves only after
the gate passed.
"""

import hashlib
import logging
import subprocess
from typing import Any

from kedro.framework.hooks import hook_impl

from prunegate import registry
from prunegate.errors import GateFailed
from prunegate.gates import failure_line
from prunegate.params import check_params
from prunegate.report import summary_table

log = logging.getLogger(__name__)
summary = logging.getLogger("prunegate.summary")

# each stage's child run records the parameter sections that stage reads
STAGE_PARAMS = {"ingest": ("data",), "train": ("model", "train"), "prune": ("prune",),
                "finetune": ("finetune",), "distill": ("distill",), "quantize": ("quantize",),
                "validate": ("validate", "gates")}
REPORTS = ("prune_report", "quantize_report")


class PrunegateHooks:
    def __init__(self) -> None:
        self.tracker: registry.RunTracker | None = None
        self.verdict: dict[str, Any] | None = None

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline, catalog) -> None:
        params = catalog.load("parameters")
        self.configs = check_params(params)
        self.params, self.verdict = params, None
        self.tracker = registry.RunTracker(self.configs["mlflow"], params.get("recipe", "run"),
                                           params)

    @hook_impl
    def before_node_run(self, node, catalog, inputs, is_async, run_id) -> None:
        stage = next((t for t in node.tags if t in STAGE_PARAMS), None)
        if self.tracker is not None and stage is not None:
            self.tracker.start_stage(stage, {key: self.params.get(key) or {}
                                             for key in STAGE_PARAMS[stage]})

    @hook_impl
    def after_node_run(self, node, catalog, inputs, outputs, is_async, run_id) -> None:
        if self.tracker is None:
            return
        for name, value in outputs.items():
            if name.endswith("_history"):
                self.tracker.log_history(value)
            elif name in REPORTS:
                self.tracker.log_dict(value, f"{name}.json")
            elif name == "metrics":
                for stage, metrics in value["stages"].items():
                    self.tracker.log_metrics(metrics, prefix=f"{stage}.")
            elif name == "gate_verdict":
                self.verdict = value
                self.tracker.log_dict(value, "gate.json")

    @hook_impl
    def after_pipeline_run(self, run_params, run_result, pipeline, catalog) -> None:
        if self.tracker is None:
            return
        self.tracker.end_stage()
        verdict = self.verdict
        if verdict is not None:
            self._register(catalog, verdict)
            summary.info("\n%s", summary_table(catalog.load("metrics"), verdict))
        self.tracker.end()
        self.tracker = None
        if verdict is not None and not verdict["passed"]:
            raise GateFailed(failure_line(verdict))

    @hook_impl
    def on_pipeline_error(self, error, run_params, pipeline, catalog) -> None:
        if self.tracker is not None:
            self.tracker.end(status="FAILED")
            self.tracker = None

    def _register(self, catalog, verdict: dict[str, Any]) -> None:
        model = catalog.load("quantized_onnx")
        tags = {"recipe": str(self.params.get("recipe", "")),
                "gate.passed": str(verdict["passed"]).lower(),
                "artifact.sha256": hashlib.sha256(model.SerializeToString()).hexdigest(),
                "git.commit": _git_commit(),
                **{f"gate.{c['name']}": f"{c['value']:.6g}" for c in verdict["checks"]}}
        registry.register_deployable(model, catalog.load("test")["x"][:1],
                                     self.configs["mlflow"].registered_model, tags,
                                     verdict["passed"])


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=5, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
