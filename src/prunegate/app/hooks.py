"""The Kedro hook that checks the parameters, tracks the run in MLflow and applies the gate.

Nodes stay pure: they return models, curves, reports and verdicts as outputs, and this hook hands
them to ``registry`` (the only MLflow code; its release.py holds the promotion policy). Order
matters for safety:
- the run locks its artifact folder first: a second run in the same folder is refused;
- parameters are checked and the tracking store is reached before the first node runs;
- what is registered (the bytes, their hash, the validated figures) is the in-memory object the
  validate stage gated, never re-read from disk, where another process could have replaced it;
- ``champion`` moves only after the gate passed and the registry's copy was re-gated.
"""

import logging
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl

from prunegate import registry
from prunegate.app.folder_lock import FolderLock
from prunegate.app.interrupts import raise_if_interrupted
from prunegate.app.project import context_configs
from prunegate.data.expectations import require_valid
from prunegate.data.splits import data_sha256
from prunegate.gate.resolution import require_resolvable
from prunegate.gate.rule import raise_unless_passed
from prunegate.models import Checkpoint
from prunegate.onnx_io.export import export_onnx
from prunegate.registry.tracking import redact
from prunegate.registry.versions import git_commit
from prunegate.reporting.model_card import (
    MODEL_DESCRIPTION,
    headline,
    model_card,
    run_note,
    where_to_look,
)
from prunegate.reporting.summary import measured_choices, plot_history, summary_table

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
# what registration uses, kept from the validate stage's own inputs and outputs as it runs
# (the training split only as its hash: holding the array would hold its memory to the end)
MEMORY = ("quantized_onnx", "baseline_onnx", "metrics", "test", "train")

# the parsed configs the nodes take, as the catalog's "config:<name>" inputs: parameters are
# parsed once, here, and a node gets its typed config instead of a dict to parse again
NODE_CONFIGS = ("data", "validate_data", "model", "train", "chain", "validate", "target",
                "gates")

# a stage's logged model, when its name differs from the stage's: its metrics link to it
LOGGED_AS = {"quantized": "deployable"}
SPLITS = ("train", "val", "test")  # logged as the parent run's dataset inputs

ACTIVE: "PrunegateHooks | None" = None  # the hook of the run in progress, for interrupt()


class PrunegateHooks:
    def __init__(self) -> None:
        self.tracker: registry.RunTracker | None = None
        self.lock: FolderLock | None = None
        self.release: registry.Release | None = None
        self.memory: dict[str, Any] = {}
        self.data_folder = Path("data")
        self.config_loader: Any = {}

    @hook_impl
    def after_context_created(self, context) -> None:
        self.data_folder = Path(context.config_loader["globals"].get("data", "data"))
        self.config_loader = context.config_loader  # credentials.yml, read when the run starts

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline, catalog) -> None:
        global ACTIVE
        params = catalog.load("parameters")
        self.lock = FolderLock(self.data_folder, str(params.get("recipe", "run")))
        self.lock.acquire()  # before anything is written: a busy folder refuses this run
        ACTIVE = self
        try:
            self._start(params, pipeline, catalog)
        except BaseException:  # nothing ran: close what opened, free the folder
            self.on_pipeline_error(None, run_params, pipeline, catalog)
            raise

    def _start(self, params: dict[str, Any], pipeline, catalog) -> None:
        self.configs = context_configs(params, self.config_loader)
        for key in NODE_CONFIGS:
            catalog[f"config:{key}"] = self.configs[key]
        self.params, self.verdict, self.deployable_uri = params, None, None
        self.memory, self.release = {}, None
        self.model_name = self.configs["mlflow"].registered_model
        self.tracker = registry.RunTracker(self.configs["mlflow"], params.get("recipe", "run"),
                                           params)
        # the gate compares against, and promotion compare-and-sets on, the champion this run
        # started with; its bytes are verified against its validated SHA-256 before use
        if "gate_verdict" in pipeline.all_outputs():  # a stale record must not outlive its run
            catalog["registration"].remove()
        if "champion_onnx" not in pipeline.inputs():
            self.champion = registry.Champion(registry.champion_version(self.model_name))
            return
        catalog["champion_onnx"].remove()
        catalog["champion_split"].remove()
        self.champion = registry.champion_at_start(self.model_name)
        if self.champion.version is not None:
            catalog.save("champion_onnx", self.champion.model)
            catalog.save("champion_split", self.champion.split)

    @hook_impl
    def before_node_run(self, node, catalog, inputs, is_async, run_id) -> None:
        raise_if_interrupted()
        self._remember(node, inputs)
        stage = next((t for t in node.tags if t in STAGE_PARAMS), None)
        if stage == "train":  # before anything trains: can the test split decide the gate?
            test = catalog.load("test")
            # and do the perturbations listed fit these inputs
            self.configs["validate"].robustness.for_inputs(test["x"][:1])
            for row in require_resolvable(self.configs["gates"], len(test["y"]),
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
        raise_if_interrupted()
        if self.tracker is None:
            return
        self._remember(node, outputs)
        for name, value in outputs.items():
            if isinstance(value, Checkpoint):
                example = self._example(catalog)
                self.tracker.log_model(export_onnx(value.model, example.shape[1:]),
                                       name.removesuffix("_model"), example)
            elif name == "quantized_onnx":
                self.deployable_uri = self.tracker.log_model(value, "deployable",
                                                             self._example(catalog))
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
                    self.tracker.log_metrics(metrics, prefix=f"{stage}.",
                                             model=LOGGED_AS.get(stage, stage))
            elif name in SPLITS and isinstance(value, dict) and "y" in value:
                self.tracker.log_split(name, value, data_sha256(value))
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

    def _example(self, catalog):
        """One test input: what a logged model's signature and input example are built from."""
        return (self.memory["test"] if "test" in self.memory else catalog.load("test"))["x"][:1]

    def _remember(self, node, values: dict[str, Any]) -> None:
        if "validate" not in node.tags:
            return
        for key in MEMORY:
            if key in values:
                self.memory[key] = data_sha256(values[key]) if key == "train" else values[key]

    @hook_impl
    def after_pipeline_run(self, run_params, run_result, pipeline, catalog) -> None:
        global ACTIVE
        raise_if_interrupted()  # an interrupted run registers nothing, even if it got this far
        if self.tracker is None:
            self._unlock()
            return
        tracker, verdict = self.tracker, self.verdict
        try:
            tracker.end_stage()
            if verdict is not None:
                metrics = self.memory["metrics"]
                recipe = str(self.params.get("recipe", ""))
                tracker.log_headline(headline(metrics, verdict),
                                     {"gate.outcome": verdict["outcome"], "recipe": recipe,
                                      "git.commit": git_commit()},
                                     run_note(recipe, metrics, verdict))
                try:
                    self._register_and_promote(catalog, verdict)
                finally:  # the table is the last thing a user reads, whatever happened above
                    summary.info("\n%s", summary_table(metrics, verdict))
                    summary.info("%s", where_to_look(
                        str(self.data_folder / "08_reporting" / "report.html"),
                        redact(tracker.uri), tracker.parent.info.experiment_id,
                        tracker.parent.info.run_id))
            tracker.end()
        finally:
            self.tracker, ACTIVE = None, None
            self._unlock()
        if verdict is not None:
            raise_unless_passed(verdict)

    @hook_impl
    def on_pipeline_error(self, error, run_params, pipeline, catalog) -> None:
        global ACTIVE
        if self.tracker is not None:
            self.tracker.end(status="FAILED")
            self.tracker = None
        ACTIVE = None
        self._unlock()

    def interrupt(self) -> str:
        """End the run's MLflow runs as KILLED and free its folder; says what was registered."""
        if self.tracker is not None:
            self.tracker.end(status="KILLED")
            self.tracker = None
        self._unlock()
        if self.release is None:
            return "nothing registered"
        return (f"{self.release.model} v{self.release.version} registered"
                + (" and promoted" if self.release.promoted else ", not promoted"))

    def _unlock(self) -> None:
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def _register_and_promote(self, catalog, verdict: dict[str, Any]) -> None:
        memory, tracker = self.memory, self.tracker
        model, test = memory["quantized_onnx"], memory["test"]
        candidate = memory["metrics"]["stages"][memory["metrics"]["candidate"]]
        train = memory["train"] if "train" in memory else data_sha256(catalog.load("train"))
        tags = registry.release_tags(
            str(self.params.get("recipe", "")), model.SerializeToString(), verdict,
            candidate["accuracy"], self.params, test, train, tracker.parent.info.run_id)

        def log_model() -> str:  # validate ran alone: the deployable was not logged yet
            return self.deployable_uri or tracker.log_model(model, "deployable", test["x"][:1])

        card = model_card(tags["recipe"], self.params, memory["metrics"], verdict,
                          tags["run.id"], tracker.parent.info.experiment_id)
        self.release = registry.register_release(self.model_name, model, verdict, tags, log_model,
                                                 self.champion, card, MODEL_DESCRIPTION)
        # what CI's promote job needs: which version, and the champion it was gated against
        catalog.save("registration", self.release.record())
        if verdict["passed"] and self.configs["mlflow"].promote_on_pass:
            registry.promote_release(self.release, test, self.configs["gates"],
                                     memory["baseline_onnx"],
                                     reason=f"gate passed in run {tags['run.id']}")
            catalog.save("registration", self.release.record())
        tracker.log_headline({}, {"model.name": self.release.model,
                                  "model.version": self.release.version,
                                  "model.promoted": str(self.release.promoted).lower()})
        self._say(verdict)

    def _say(self, verdict: dict[str, Any]) -> None:
        rel, was = self.release, self.champion.version
        if rel.promoted:
            summary.info("%s v%s is the new champion (the registry's copy re-gated: SHA-256 and "
                         "every check it can re-measure)", rel.model, rel.version)
        elif verdict["passed"] and rel.version == was:
            summary.info("%s v%s: the same bytes as the champion; nothing moved", rel.model,
                         rel.version)
        else:
            why = ("the gate passed; promotion is off (mlflow.promote / PRUNEGATE_PROMOTE), so "
                   "run `prunegate promote`" if verdict["passed"] else
                   f"the gate's outcome was {verdict['outcome']}")
            summary.info("%s v%s %s as challenger (%s); champion stays %s", rel.model,
                         rel.version, "re-tagged" if rel.reused else "registered", why,
                         f"v{was}" if was else "unset")


def interrupt() -> str | None:
    """What an interrupted run leaves (None: no run was in progress); called by the CLI."""
    global ACTIVE
    hooks, ACTIVE = ACTIVE, None
    return None if hooks is None else hooks.interrupt()
