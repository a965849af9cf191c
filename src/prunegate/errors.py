"""The errors prunegate raises on purpose.

Each one carries a message that names the problem and the fix. The CLI prints exactly that message
on one line (no traceback) and exits with the error's code: 1 when a gate failed, 2 when the run
could not be evaluated at all.
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


def find_prunegate_error(error: BaseException) -> PrunegateError | None:
    """Our error, even when Kedro wrapped it (DatasetError, hook errors) on the way up."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, PrunegateError):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None
