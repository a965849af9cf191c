"""The gate as a pytest suite: one test per check, so CI shows each failed check as a test.

    pytest tests/regression --candidate data/06_models/model.int8.onnx
    pytest tests/regression --candidate models:/prunegate-mnist-mlp@challenger --recipe mnist_mlp

Run from the project root. The verdict comes from ``prunegate.app.project.gate_candidate``, the call
``prunegate gate --candidate`` makes, so both decide alike. JUnit XML goes to
data/08_reporting/regression-<recipe>.xml unless --junitxml says otherwise.
"""

import pytest


def _check_names(config) -> list[str]:
    from prunegate.app.project import recipe_context

    configs, _ = recipe_context(config.getoption("--recipe"), connect=False)
    return [spec.name for spec in configs["gates"].specs()]


def pytest_generate_tests(metafunc):
    if "check_name" in metafunc.fixturenames:
        metafunc.parametrize("check_name", _check_names(metafunc.config))


@pytest.fixture(scope="session")
def verdict(request) -> dict:
    """One measurement for the whole suite: every check reads the same evidence."""
    from prunegate.app.project import gate_candidate
    from prunegate.errors import find_prunegate_error

    try:
        return gate_candidate(request.config.getoption("--recipe"),
                              request.config.getoption("--candidate"))[1]
    except Exception as error:
        ours = find_prunegate_error(error)
        if ours is None:
            raise
        # exit 2 territory (missing model, unreachable store): every check errors, with why
        pytest.fail(f"the gate could not be evaluated: {ours}", pytrace=False)
