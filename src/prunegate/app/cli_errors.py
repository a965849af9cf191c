"""How every prunegate command ends: our errors as one red line and an exit code (2 bad input,
1 gate failed or promotion refused, 3 undecided), an interrupt as 130/143 after the run's MLflow
runs are closed and its folder freed; anything else keeps its traceback."""

import functools
import sys

import click

from prunegate.app import interrupts
from prunegate.app.interrupts import Terminated
from prunegate.errors import GateFailed, GateUndecided, PromotionRefused, find_prunegate_error

recipe_option = click.option("--recipe", default="mnist_mlp", show_default=True,
                             help="Recipe whose registered model and test split to use.")


def clean_errors(func):
    """Our errors become one red line and an exit code; anything else keeps its traceback.
    An interrupted run (Ctrl-C, SIGTERM from CI's cancel) ends its MLflow runs as KILLED, frees
    its folder, says what it registered, and exits 130 or 143 as a shell would."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        interrupts.install()
        try:
            return func(*args, **kwargs)
        except (KeyboardInterrupt, Terminated) as stop:
            from prunegate.app.hooks import interrupt

            left = interrupt() or "nothing registered"
            click.secho(f"interrupted: {left}", err=True, fg="red")
            sys.exit(143 if isinstance(stop, Terminated) else 130)
        except Exception as error:
            ours = find_prunegate_error(error)
            if ours is None:
                raise
            label = ("FAIL" if isinstance(ours, GateFailed | PromotionRefused) else
                     "UNDECIDED" if isinstance(ours, GateUndecided) else "error")
            click.secho(f"{label}: {ours}", err=True, fg="red")
            sys.exit(ours.exit_code)
    return wrapper
