"""The layer line: every package imports only downward, with no cycle between packages.

The layers, bottom to top (docs/architecture in the README's layout). A module may import its
own layer and the layers below it. Only the application layer imports Kedro, and only
``registry/`` imports mlflow.
"""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "prunegate"
LAYERS = (
    ("errors", "validators", "atomic", "progress"),  # base: no project imports but each other
    ("onnx_io",),                                    # export, graph helpers, sparse encoding
    ("data", "models"),
    ("training",),
    ("evaluation",),                                 # metrics, latency, size, targets
    ("compression",),                                # the techniques and chain.py
    ("gate",),                                       # the rule, measure-and-gate, audit
    ("registry",),                                   # the only MLflow code
    ("reporting",),
    ("search", "benchmark"),
    # the application layer, and the names Kedro and catalogs look up
    ("app", "pipelines", "datasets", "settings", "pipeline_registry", "cli", "__main__",
     "__init__"),
)
ONLY_IN = {"kedro": ("app", "pipelines", "datasets", "settings", "pipeline_registry", "cli"),
           "kedro_datasets": ("app", "pipelines", "datasets"),
           "mlflow": ("registry",)}


def layer_of(package: str) -> int:
    for level, names in enumerate(LAYERS):
        if package in names:
            return level
    raise AssertionError(f"prunegate/{package} is in no layer: add it to LAYERS in "
                         "tests/test_layers.py")


def imports(src: Path) -> list[tuple[str, str, str]]:
    """(importing package, imported top-level name, file) for every import in ``src``, including
    the ones inside functions; a project import is named by its package under prunegate."""
    found = []
    for path in sorted(src.rglob("*.py")):
        parts = path.relative_to(src).with_suffix("").parts
        package = parts[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative: stays inside its own package
                    names = [f"prunegate.{package}"]
                elif node.module == "prunegate":  # from prunegate import registry
                    names = [f"prunegate.{a.name}" for a in node.names]
                else:
                    names = [node.module or ""]
            else:
                continue
            for name in names:
                segments = name.split(".")
                target = segments[1] if segments[0] == "prunegate" and len(segments) > 1 \
                    else segments[0] if segments[0] != "prunegate" else "__init__"
                found.append((package, ("prunegate." if segments[0] == "prunegate" else "")
                              + target, str(path.relative_to(src))))
    return found


def violations(src: Path) -> list[str]:
    problems = []
    edges: dict[str, set[str]] = {}
    for package, name, path in imports(src):
        layer_of(package)  # every package is placed
        if name.startswith("prunegate."):
            target = name.removeprefix("prunegate.")
            if target != package:
                edges.setdefault(package, set()).add(target)
                if layer_of(target) > layer_of(package):
                    problems.append(f"{path} imports prunegate.{target}: an upward import "
                                    f"(layer {layer_of(package)} -> {layer_of(target)})")
        elif name in ONLY_IN and package not in ONLY_IN[name]:
            problems.append(f"{path} imports {name}, which only {', '.join(ONLY_IN[name])} may")
    problems += [f"package cycle: {' -> '.join(c)}" for c in cycles(edges)]
    return problems


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One path per cycle found by depth-first search (the same-layer imports can form one)."""
    found, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                found.append(path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    return found


def test_the_library_imports_only_downward_without_package_cycles():
    assert violations(SRC) == []


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


@pytest.mark.parametrize("files, expected", [
    ({"evaluation/size.py": "from prunegate.gate.rule import GateConfig\n"}, "upward import"),
    ({"gate/rule.py": "def f():\n    from prunegate.registry import x\n"}, "upward import"),
    ({"data/a.py": "from prunegate.models import m\n", "models/b.py": "import prunegate.data\n"},
     "package cycle: data -> models -> data"),
    ({"compression/prune.py": "import mlflow\n"}, "only registry may"),
    ({"search/trial.py": "from kedro.pipeline import node\n"}, "imports kedro"),
    ({"newthing/x.py": "import os\n"}, None),
])
def test_the_check_catches_back_imports_cycles_and_stray_integrations(tmp_path, files, expected):
    src = _tree(tmp_path, files)
    if expected is None:  # a package no layer names is refused until it is placed
        with pytest.raises(AssertionError, match="newthing is in no layer"):
            violations(src)
        return
    found = violations(src)
    assert found and any(expected in problem for problem in found), found


def test_nodes_are_adapters_of_about_ten_lines():
    """A node takes typed configs and makes one library call; logic belongs in the library."""
    long = []
    for path in sorted((SRC / "pipelines").rglob("nodes.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and node.end_lineno - node.lineno + 1 > 15:
                long.append(f"{path.parent.name}.{node.name}: "
                            f"{node.end_lineno - node.lineno + 1} lines")
    assert long == []


def test_no_library_file_is_much_over_300_lines():
    big = [f"{p.relative_to(SRC)}: {n}" for p in sorted(SRC.rglob("*.py"))
           if (n := len(p.read_text().splitlines())) > 320]
    assert big == []
