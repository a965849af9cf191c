"""The errors prunegate raises on purpose.

Each one carries a message that names the problem and the fix. The CLI prints exactly that message
on one line (no traceback) and exits with the error's code: 1 when a gate failed, 2 when the run
could not be evaluated at all, 3 when the gate was evaluated but its data or the machine could
not settle a check (undecided: nothing is promoted, and the message says what would decide it).
"""


class PrunegateError(Exception):
    exit_code = 2


class ConfigError(PrunegateError):
    """A config value, key or method name is wrong; raised before any work starts."""


class DataError(PrunegateError):
    """A data file is missing, corrupt or does not match what the model expects."""


class TrackingError(PrunegateError):
    """The MLflow tracking server cannot be used."""


class PromotionRefused(PrunegateError):
    """A verified promotion found a reason not to move ``champion``; nothing moved."""

    exit_code = 1


class GateFailed(PrunegateError):
    """The candidate was measured and at least one check failed."""

    exit_code = 1


class GateUndecided(PrunegateError):
    """No check failed, but at least one could not be settled by the test data or the machine's
    noise; not deployable, and not a failure of the model either."""

    exit_code = 3


# Errors of the libraries underneath that are really bad input, as (type, text in the message,
# our error). OmegaConf raises the first when config layers (conf/base, conf/<recipe>, --params)
# disagree on a section's shape.
FOREIGN = [(TypeError, "Cannot merge incompatible container types", ConfigError(
    "the parameters cannot be merged: one layer (conf/base, conf/<recipe>/ or --params) gives "
    "a list where another gives a mapping, e.g. gates.checks written as a list in a recipe. "
    "Write gates.checks as a mapping of check names, {name: {metric, comparator, threshold, "
    "basis}}, as conf/base does."))]


def find_prunegate_error(error: BaseException) -> PrunegateError | None:
    """Our error, even when Kedro wrapped it (DatasetError, hook errors) on the way up, or a
    library's error that is known to mean bad input."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, PrunegateError):
            return error
        for kind, text, ours in FOREIGN:
            if isinstance(error, kind) and text in str(error):
                return ours
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None
