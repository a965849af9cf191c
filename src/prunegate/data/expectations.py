"""The data gate: a Great Expectations (GX Core 1.x) suite run on every split before training.

Each split becomes a frame with one row per sample and columns a suite can check without knowing
the input's layout (784 pixels here, a table's columns in general):

- ``label``; ``n_features``: values per sample; ``x_min``, ``x_max``: its smallest and largest
  finite value; ``nonfinite``: how many of its values are NaN or inf;
- ``class_share``: the share of the split that has this row's label (class balance);
- ``in_splits``: in how many of the splits this exact sample occurs (1 when they are disjoint).

The suite itself is config (``validate_data.expectations``): GX expectation class names and their
arguments, so a user adapts it to their data without code. Arguments may name the declared
schema instead of repeating it, so one suite fits any data set: ``@n_features`` (values per
sample of the declared shape), ``@labels`` (the class ids 0..K-1), and ``@class_share_min`` /
``@class_share_max`` (half and one and a half times a balanced class's share, 1/K),
``@x_min``/``@x_max`` (0 and 1, where scaled pixels lie, or where ``data.normalize`` puts them),
and
``@min_rows`` (10 samples per class: enough for every class to show up; whether the test split is
big enough for the gate's limits is decided by the gate's own resolution check, resolution.py).
"""

import hashlib
import logging
import os
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from prunegate.data.arrays import check_arrays
from prunegate.data.normalize import value_range
from prunegate.data.splits import schema
from prunegate.errors import ConfigError, DataError
from prunegate.validators import did_you_mean

log = logging.getLogger(__name__)

COLUMNS = ("label", "n_features", "x_min", "x_max", "nonfinite", "class_share", "in_splits")
PLACEHOLDERS = ("@n_features", "@labels", "@class_share_min", "@class_share_max", "@min_rows",
                "@x_min", "@x_max")


def declared(shape: tuple[int, ...], classes: int,
             value_range: tuple[float, float] = (0.0, 1.0)) -> dict[str, Any]:
    """The placeholders' values for data of this sample shape and number of classes, whose
    scaled inputs span ``value_range`` ([0, 1], or where data.normalize moves it)."""
    return {"@n_features": [int(np.prod(shape))], "@labels": list(range(classes)),
            "@class_share_min": round(0.5 / classes, 6),
            "@class_share_max": round(1.5 / classes, 6), "@min_rows": 10 * classes,
            # rounded outward: a bound computed in float32 must not fail by an ulp
            "@x_min": float(np.floor(value_range[0] * 1e5) / 1e5),
            "@x_max": float(np.ceil(value_range[1] * 1e5) / 1e5)}


def _resolve(value: Any, schema: dict[str, Any], where: str) -> Any:
    if isinstance(value, str) and value.startswith("@"):
        if value not in schema:
            raise ConfigError(f"{where}: unknown placeholder '{value}'"
                              f"{did_you_mean(value, PLACEHOLDERS)}. Placeholders: "
                              f"{', '.join(PLACEHOLDERS)}.")
        return schema[value]
    return value


@dataclass
class DataCheckConfig:
    # [{expectation: <GX class name>, kwargs: {...}}, ...]; the default suite is in
    # conf/base/parameters_validate_data.yml
    expectations: list[dict[str, Any]] = field(default_factory=list)
    examples: int = 5  # unexpected values and row numbers shown per failed expectation

    def __post_init__(self) -> None:
        if not isinstance(self.expectations, list):
            raise ConfigError("'validate_data.expectations' must be a list of "
                              "{expectation, kwargs} mappings.")
        if not isinstance(self.examples, int) or self.examples < 1:
            raise ConfigError(f"'validate_data.examples' must be >= 1, got {self.examples!r}.")
        for i, entry in enumerate(self.expectations):
            where = f"validate_data.expectations[{i}]"
            if not isinstance(entry, dict) or set(entry) - {"expectation", "kwargs"} \
                    or "expectation" not in entry or not isinstance(entry.get("kwargs", {}), dict):
                raise ConfigError(f"{where} must be {{expectation: <GX name>, kwargs: {{…}}}}, "
                                  f"got {entry!r}.")
            column = (entry.get("kwargs") or {}).get("column")
            if column is not None and column not in COLUMNS:
                raise ConfigError(f"{where}: no column '{column}'. Columns: "
                                  f"{', '.join(COLUMNS)}.")
        # names and arguments are checked by GX itself in suite(), the data gate's first step:
        # importing GX takes seconds, too long for every command that reads the config

    def suite(self, schema: dict[str, Any] | None = None):
        """The GX ExpectationSuite, placeholders replaced by the ``declared`` schema: an unknown
        class or argument is a ConfigError naming it."""
        schema = schema or {}
        gx = _gx()
        known = sorted(n for n in dir(gx.expectations) if n.startswith("Expect"))
        built = []
        for i, entry in enumerate(self.expectations):
            where, name = f"validate_data.expectations[{i}]", entry["expectation"]
            if name not in known:
                raise ConfigError(f"{where}: unknown expectation '{name}'"
                                  f"{did_you_mean(str(name), known)}. See the GX Core "
                                  "expectation gallery for the names.")
            kwargs = {k: _resolve(v, schema, where) for k, v in (entry.get("kwargs") or {}).items()}
            try:
                built.append(getattr(gx.expectations, name)(**kwargs))
            except Exception as error:  # pydantic names the bad argument
                raise ConfigError(f"{where} ({name}): bad arguments {kwargs}: "
                                  f"{str(error).splitlines()[0]}") from error
        return gx.ExpectationSuite(name="prunegate_data", expectations=built)


def _gx():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx

    return gx


def sample_frames(splits: dict[str, dict[str, np.ndarray]]):
    """One pandas frame per split, with the columns of COLUMNS."""
    import pandas as pd

    hashes = {name: [hashlib.sha256(np.ascontiguousarray(row).tobytes()).hexdigest()
                     for row in split["x"]] for name, split in splits.items()}
    occurs: dict[str, set[str]] = {}
    for name, keys in hashes.items():
        for key in keys:
            occurs.setdefault(key, set()).add(name)
    frames = {}
    for name, split in splits.items():
        labels = pd.Series(np.asarray(split["y"]))
        frames[name] = pd.DataFrame({
            "label": labels,
            "n_features": np.full(len(labels), int(np.prod(split["x"].shape[1:]))),
            **_row_stats(split["x"]),
            "class_share": labels.map(labels.value_counts(normalize=True)).to_numpy(),
            "in_splits": [len(occurs[key]) for key in hashes[name]],
        })
    return frames


def _row_stats(x: np.ndarray, chunk: int = 4096) -> dict[str, np.ndarray]:
    """Smallest and largest finite value and the count of NaN/inf per sample, a chunk of rows
    at a time: a float64 copy of a 50,000-sample split would be 300 MB for three numbers."""
    n = len(x)
    stats = {"x_min": np.zeros(n), "x_max": np.zeros(n), "nonfinite": np.zeros(n, np.int64)}
    for start in range(0, n, chunk):
        rows = np.asarray(x[start:start + chunk], dtype=np.float64).reshape(-1, int(np.prod(
            x.shape[1:])))
        finite = np.isfinite(rows)
        stats["nonfinite"][start:start + len(rows)] = (~finite).sum(axis=1)
        if rows.shape[1]:
            with warnings.catch_warnings():  # an all-NaN row is reported by `nonfinite`
                warnings.simplefilter("ignore", RuntimeWarning)
                stats["x_min"][start:start + len(rows)] = np.nanmin(
                    np.where(finite, rows, np.nan), axis=1)
                stats["x_max"][start:start + len(rows)] = np.nanmax(
                    np.where(finite, rows, np.nan), axis=1)
    return stats


def validate_splits(splits: dict[str, dict[str, np.ndarray]],
                    config: DataCheckConfig) -> dict[str, Any]:
    """Run the suite on every split; a JSON-ready report, whether it passed or not. Arrays
    the suite cannot even read (missing, not numeric, mismatched) are a DataError first."""
    check_arrays(splits)
    gx = _gx()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    batches = context.data_sources.add_pandas("prunegate").add_dataframe_asset("split") \
        .add_batch_definition_whole_dataframe("whole")
    suite = config.suite(declared(*schema(splits["train"]), value_range(splits["train"])))
    report: dict[str, Any] = {"success": True, "splits": {}}
    for name, frame in sample_frames(splits).items():
        result = batches.get_batch(batch_parameters={"dataframe": frame}).validate(
            suite, result_format={"result_format": "SUMMARY",
                                  "partial_unexpected_count": config.examples})
        rows = [_row(r) for r in result.results]
        report["splits"][name] = {"success": bool(result.success), "rows": len(frame),
                                  "results": rows}
        report["success"] &= bool(result.success)
        log.info("data gate: %s (%d rows) %s", name, len(frame),
                 "passed" if result.success else
                 f"failed {sum(not r['success'] for r in rows)} expectation(s)")
    return report


def failure_message(report: dict[str, Any]) -> str:
    """Every failed expectation of every split, with examples, and the fix."""
    lines = []
    for split, outcome in report["splits"].items():
        for r in outcome["results"]:
            if not r["success"]:
                lines.append(f"  {split}: {r['expectation']}({_args(r['kwargs'])}) — "
                             f"{r['found']}")
    return ("the data failed validation, so nothing was trained:\n" + "\n".join(lines)
            + "\nFix the data (or adapt validate_data.expectations if the data is right); the "
              "full result is in the recipe's 08_reporting/data_validation.json.")


def require_valid(report: dict[str, Any]) -> None:
    if not report.get("success"):
        raise DataError(failure_message(report))


def _row(result) -> dict[str, Any]:
    config = result.expectation_config
    kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
    info = result.result or {}
    found = "ok"
    if not result.success:
        if info.get("unexpected_count"):
            found = (f"{info['unexpected_count']} unexpected, e.g. values "
                     f"{_plain(info.get('partial_unexpected_list', []))}")
            if info.get("partial_unexpected_index_list"):
                found += f" at rows {_plain(info['partial_unexpected_index_list'])}"
        else:
            found = f"observed {_plain(info.get('observed_value'))}"
    return {"expectation": _class_name(config.type),
            "kwargs": _plain(kwargs), "success": bool(result.success), "found": found,
            "unexpected_count": int(info.get("unexpected_count") or 0)}


def _class_name(snake: str) -> str:
    return "".join(part.title() for part in snake.split("_"))


def _args(kwargs: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in kwargs.items())


def _plain(value: Any) -> Any:
    """numpy scalars and containers as plain JSON values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    return value

