"""Measure several ONNX models on one test split in one run, then gate the candidate.

Latency is measured interleaved across all models, plus a second session of the baseline: the
two baselines' p95 ratio is this machine's noise, the latency checks' resolution. While a latency
check is undecided (its bounds straddle the threshold), more interleaved rounds are added, up to
the gate's budget.
"""

import logging
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import onnx

from prunegate.errors import ConfigError
from prunegate.evaluation import bootstrap
from prunegate.evaluation.calibration import ece, softmax_confidence
from prunegate.evaluation.contract import contract_rows
from prunegate.evaluation.energy import energy_per_inference
from prunegate.evaluation.latency import measure_interleaved
from prunegate.evaluation.metrics import NO_CLASS, classification_metrics, logits_onnx, predictions
from prunegate.evaluation.noise import cpu_mark, other_load_since
from prunegate.evaluation.perturb import RobustnessConfig
from prunegate.evaluation.robustness import robust_scores
from prunegate.evaluation.size import onnx_size
from prunegate.evaluation.targets import TargetProfile
from prunegate.gate import resolution
from prunegate.gate.config import GateConfig
from prunegate.gate.rule import Evidence, evaluate_gate, remeasurable
from prunegate.gate.sessions import batch_of, check_test_split, loaded
from prunegate.validators import from_dict, integer

log = logging.getLogger(__name__)


@dataclass
class ValidateConfig:
    target: str = "cpu-1t"         # a profile of targets.yml: where latency is measured
    latency_repeats: int = 3000    # rounds at the gate batch size
    latency_warmup: int = 50
    report_repeats: int = 300      # rounds at the other batch sizes, which are reported only
    kfold: int = 0                 # k >= 2 repeats fine-tune + distill on k folds; 0 is off
    # the seeded perturbed copies of the test split every model is also evaluated on, and the
    # calibration error's bins (evaluation/perturb.py)
    robustness: RobustnessConfig | dict | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.robustness, RobustnessConfig):
            if self.robustness is not None and not isinstance(self.robustness, dict):
                raise ConfigError("'validate.robustness' must be a mapping such as "
                                  f"{{perturbations: auto, seed: 0}}, got {self.robustness!r}.")
            self.robustness = from_dict(RobustnessConfig, self.robustness,
                                        "validate.robustness")
        if not isinstance(self.target, str):
            raise ConfigError(f"'validate.target' must name a profile of targets.yml, got "
                              f"{self.target!r}.")
        integer(self.latency_repeats, "validate.latency_repeats", low=10)
        integer(self.latency_warmup, "validate.latency_warmup", low=0)
        integer(self.report_repeats, "validate.report_repeats", low=10)
        integer(self.kfold, "validate.kfold")
        if self.kfold == 1:
            raise ConfigError("'validate.kfold' must be 0 (off) or at least 2 folds, got 1.")


TWIN = "baseline (again)"  # timed only: the noise of the machine, never gated or reported


def measure_models(models: dict[str, onnx.ModelProto], test: dict[str, np.ndarray],
                   target: TargetProfile, repeats: int = 500, warmup: int = 50,
                   report_repeats: int = 300, twin: str | None = None,
                   robustness: RobustnessConfig | None = None
                   ) -> tuple[dict[str, dict], dict[str, Evidence], dict]:
    """Per model: quality (clean, perturbed, calibration), sizes, energy and latency on
    ``target``; plus the raw evidence and the sessions behind them. The gate batch gets
    ``repeats`` rounds, the other batch sizes ``report_repeats`` (they are reported, not
    gated). ``twin`` names a model that is timed a second time, as ``TWIN`` in the sessions
    (its gate-batch samples are ``TWIN``'s evidence)."""
    for model in models.values():
        check_test_split(test, model)
    sessions = {name: loaded(target, m, name) for name, m in models.items()}
    if twin is not None:
        sessions[TWIN] = loaded(target, models[twin], twin)
    timings = measure_interleaved(sessions, batch_of(test["x"], target.gate_batch),
                                  warmup=warmup, repeats=repeats, call=target.call,
                                  burst=target.burst)
    others = {size: measure_interleaved(sessions, batch_of(test["x"], size),
                                        warmup=min(warmup, 10), repeats=report_repeats,
                                        call=target.call, burst=target.burst)
              for size in target.batch_sizes[1:]}
    labels = sorted(set(test["y"].tolist()))
    classes = [str(c) for c in test["classes"]] if "classes" in test else None
    robustness = robustness or RobustnessConfig()
    robust = robust_scores({name: sessions[name] for name in models}, test["x"], test["y"],
                           robustness)
    energy = energy_per_inference(models, sessions, batch_of(test["x"], 1), target.energy_setup())
    results, evidence = {}, {}
    for name, model in models.items():
        logits = logits_onnx(sessions[name], test["x"])
        predicted, confidence = predictions(logits), softmax_confidence(logits)
        correct = predicted == test["y"]
        results[name] = {**classification_metrics(test["y"], predicted, labels, classes),
                         **onnx_size(model), **energy[name], "latency_by_batch": {},
                         "ece": ece(confidence, correct, robustness.ece_bins),
                         "nonfinite_outputs": int(np.sum(predicted == NO_CLASS))}
        scores = {}
        if robust:
            per_copy, scores["robust_accuracy"] = robust[name]
            results[name] |= {"robust_accuracy": float(scores["robust_accuracy"].mean()),
                              "robustness": per_copy}
        if results[name]["nonfinite_outputs"]:
            log.warning("%s: %d of %d test inputs give NaN or inf outputs", name,
                        results[name]["nonfinite_outputs"], len(predicted))
        evidence[name] = Evidence(results[name], correct,
                                  np.asarray(timings[name].samples_ms),
                                  {size: np.asarray(t[name].samples_ms)
                                   for size, t in others.items()},
                                  scores=scores, confidence=confidence,
                                  ece_bins=robustness.ece_bins)
    if twin is not None:
        evidence[TWIN] = Evidence({}, None, np.asarray(timings[TWIN].samples_ms))
    return results, evidence, sessions


def latency_noise(evidence: dict[str, Evidence], reference: str, confidence: float,
                  samples: int = 2000) -> float:
    """How far a model's p95 ratio to itself strays from 1, at the one-sided ``confidence``:
    the smallest latency ratio change this machine resolves right now."""
    low, high = bootstrap.paired_ratio_ci(evidence[reference].latency_ms,
                                          evidence[TWIN].latency_ms, 95, samples=samples,
                                          level=2 * confidence - 1)
    return max(high - 1.0, 1.0 - low, 0.0)


def measure_and_gate(models: dict[str, onnx.ModelProto], test: dict[str, np.ndarray],
                     gates: GateConfig, target: TargetProfile | None = None,
                     repeats: int = 3000, warmup: int = 50, report_repeats: int = 300,
                     candidate: str = "quantized", baseline: str = "baseline",
                     champion: str = "champion", candidate_metrics: dict | None = None,
                     evidence_hook=None,
                     champion_unseen: tuple[np.ndarray | None, str] | None = None,
                     robustness: RobustnessConfig | None = None
                     ) -> tuple[dict, dict, dict[str, list[float]]]:
    """metrics.json content, the gate's verdict and the gate-batch latency samples behind it.

    The one function every gate goes through (the validate stage, ``prunegate gate``, the
    regression suite and the audit), so all of them decide alike. Latency is re-measured while
    a latency check is undecided, up to the gate's budget. ``candidate_metrics`` adds figures
    measured elsewhere (k-fold stability) to the candidate's, so checks can use them.
    ``champion_unseen`` is (mask of the test samples the champion never trained on, or None if
    unknown; how that is known), from ``data.splits.unseen_by``; None compares on all.
    ``robustness`` says which perturbed copies of the test split are evaluated (default:
    ``auto``, by input kind)."""
    target = target or TargetProfile(batch_sizes=[1])
    window = cpu_mark()
    results, evidence, sessions = measure_models(models, test, target, repeats, warmup,
                                                 report_repeats, twin=baseline,
                                                 robustness=robustness)
    results[candidate] |= candidate_metrics or {}
    if evidence_hook is not None:  # the gate audit injects a known regression here
        evidence_hook(evidence)
    versus, champion_ev, skip = _against_champion(evidence, candidate, champion,
                                                  champion_unseen, gates)
    exact = contract_rows(models, candidate, [baseline, champion],
                          results[candidate]["nonfinite_outputs"], len(test["y"]))
    attempt = 0
    while True:
        noise = latency_noise(evidence, baseline, gates.confidence, gates.bootstrap_samples)
        verdict = evaluate_gate(evidence[candidate], evidence[baseline], champion_ev, gates,
                                final=False, noise=noise, versus_champion=versus,
                                champion_skip=skip, exact=exact)
        if not remeasurable(verdict) or attempt == gates.remeasure_budget:
            break
        attempt += 1
        log.info("latency undecided for %s: re-measuring (%d/%d)", verdict["undecided"], attempt,
                 gates.remeasure_budget)
        more = measure_interleaved(sessions, batch_of(test["x"], target.gate_batch), warmup=5,
                                   repeats=repeats, call=target.call, burst=target.burst)
        for name, ev in evidence.items():
            ev.latency_ms = np.concatenate([ev.latency_ms, more[name].samples_ms])
    noise = latency_noise(evidence, baseline, gates.confidence, gates.bootstrap_samples)
    verdict = evaluate_gate(evidence[candidate], evidence[baseline], champion_ev, gates,
                            noise=noise, versus_champion=versus, champion_skip=skip,
                            exact=exact)
    evidence.pop(TWIN)
    verdict |= {"candidate": candidate, "baseline": baseline, "remeasured": attempt,
                # other work on the machine while it timed: the noise's likely cause
                "other_load": other_load_since(window),
                "call": target.call,
                "champion": champion if champion in evidence else None,
                "champion_compared_on": None if versus is None else len(versus.correct),
                "champion_comparison": (champion_unseen or (None, None))[1]}
    references = {"": evidence[baseline], "_vs_champion": evidence.get(champion)}
    for name in results:
        _latency(results[name], evidence[name], references, target, gates)
        _accuracy_intervals(results[name], evidence[name], evidence[baseline], gates)
        log.info("%-10s accuracy %.4f  %8d bytes  p95 %.4f ms", name, results[name]["accuracy"],
                 results[name]["size_bytes"], results[name]["latency_p95_ms"])
    samples = {name: ev.latency_ms.tolist() for name, ev in evidence.items()}
    robust = robustness or RobustnessConfig()
    return ({"stages": results, "candidate": candidate, "baseline": baseline,
             "target": asdict(target),
             "robustness": {"seed": robust.seed, "ece_bins": robust.ece_bins,
                            "perturbations": robust.for_inputs(test["x"])}},
            verdict, samples)


def _against_champion(evidence: dict[str, Evidence], candidate: str, champion: str,
                      unseen: tuple[np.ndarray | None, str] | None, gates: GateConfig
                      ) -> tuple[Evidence | None, Evidence | None, str]:
    """(the candidate as the champion checks see it, the champion, why they are skipped).

    Never on leaked samples: a champion that trained on some of this test split is compared on
    the rest only, and not at all when the rest cannot resolve the limit or when which samples
    it learned is unknown."""
    if champion not in evidence:
        return None, None, "no champion yet"
    cand, champ = evidence[candidate], evidence[champion]
    if unseen is None:                          # the caller vouches: the audit, a re-gate
        return cand, champ, ""
    mask, how = unseen
    if mask is None:
        return None, None, f"the champion is not comparable: {how}"
    if mask.all():
        return cand, champ, ""
    n = int(mask.sum())
    limits = [s.threshold for s in gates.specs()
              if s.basis == "relative_to_champion" and s.metric == "accuracy"]
    res = resolution.drop_resolution_pp(max(n, 1), gates.expected_disagreement, gates.confidence)
    if n == 0 or (limits and min(limits) < res):
        return None, None, (f"the champion trained on most of this test split ({how}): the "
                            f"{n} samples it never saw resolve {res:.2f} pp, coarser than the "
                            f"limit {min(limits or [0]):g} pp")
    log.info("champion compared on the %d test samples it never trained on (%s)", n, how)
    return _subset(cand, mask), _subset(champ, mask), ""


def _subset(ev: Evidence, mask: np.ndarray) -> Evidence:
    """The evidence on the masked test samples (accuracy recomputed; latency as measured)."""
    correct = ev.correct[mask]
    scores = {k: v[mask] for k, v in ev.scores.items()}
    return Evidence({**ev.metrics, "accuracy": float(correct.mean()),
                     **{k: float(v.mean()) for k, v in scores.items()}}, correct, ev.latency_ms,
                    ev.batch_latency_ms, scores=scores,
                    confidence=None if ev.confidence is None else ev.confidence[mask],
                    ece_bins=ev.ece_bins)


def _latency(metrics: dict[str, Any], ev: Evidence, references: dict[str, Evidence | None],
             target: TargetProfile, gates: GateConfig) -> None:
    """Per batch size: p50/p95/p99, throughput and the p95 ratio (with its paired interval) to
    each reference; the gate batch's figures are also the flat ``latency_*`` keys gates use."""
    kw = {"samples": gates.bootstrap_samples, "level": 2 * gates.confidence - 1}  # 1-sided
    for size in target.batch_sizes:
        samples = ev.latency_ms if size == target.gate_batch else ev.batch_latency_ms[size]
        p50, p95, p99 = np.percentile(samples, [50, 95, 99])
        row = {"p50_ms": float(p50), "p95_ms": float(p95), "p99_ms": float(p99),
               "mean_ms": float(samples.mean()),
               "throughput_per_s": float(size * 1000.0 / samples.mean()),
               "rounds": int(len(samples))}
        for suffix, ref in references.items():
            if ref is None:
                continue
            ref_samples = ref.latency_ms if size == target.gate_batch else \
                ref.batch_latency_ms[size]
            row[f"p95_ratio{suffix}"] = float(p95 / np.percentile(ref_samples, 95))
            row[f"p95_ratio{suffix}_ci"] = list(bootstrap.paired_ratio_ci(ref_samples, samples,
                                                                          95, **kw))
        metrics["latency_by_batch"][str(size)] = row
    gate_row = metrics["latency_by_batch"][str(target.gate_batch)]
    metrics |= {f"latency_{key}": value for key, value in gate_row.items()
                if key.endswith("_ms") or key.startswith("p95_ratio")}
    metrics |= {"throughput_per_s": gate_row["throughput_per_s"],
                "latency_rounds": gate_row["rounds"], "latency_batch": target.gate_batch}


def _accuracy_intervals(metrics: dict[str, Any], ev: Evidence, base: Evidence,
                        gates: GateConfig) -> None:
    kw = {"samples": gates.bootstrap_samples, "level": 2 * gates.confidence - 1}  # 1-sided
    metrics["accuracy_ci"] = list(bootstrap.accuracy_ci(ev.correct, **kw))
    metrics["accuracy_drop_pp"] = 100.0 * (base.metrics["accuracy"] - metrics["accuracy"])
    metrics["accuracy_drop_pp_ci"] = list(bootstrap.paired_accuracy_drop_ci(
        base.correct, ev.correct, **kw))
