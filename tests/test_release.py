"""The version scheme: pyproject.toml, the installed package and CHANGELOG.md agree."""

import re
import tomllib
from pathlib import Path

import prunegate

ROOT = Path(__file__).parents[1]


def test_version_is_the_same_in_pyproject_the_package_and_the_changelog():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert prunegate.__version__ == version, "reinstall (make setup) after changing the version"
    released = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$",
                          (ROOT / "CHANGELOG.md").read_text(), flags=re.M)
    assert released and released[0] == version, "the newest CHANGELOG heading is the version"


def test_the_license_is_apache_2():
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License\n                           Version 2.0" in text
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"] == \
        "Apache-2.0"
