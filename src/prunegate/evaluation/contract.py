"""The I/O contract of a deployable: what a caller sends and gets back must not change silently.

A model's contract is each input's and output's name, element type and shape, with the batch
dimension symbolic. A candidate whose contract differs from the dense baseline's (or the
champion's) fails the gate with the difference spelled out: an extra logit column or a renamed
input breaks every client, whatever its accuracy. Its outputs must also be finite: a NaN row is
not a prediction, and is counted, not read as class 0.
"""

from typing import Any

import onnx

BATCH = "batch"  # how a symbolic (or unset) first dimension is written


def io_signature(model: onnx.ModelProto) -> dict[str, list[tuple[str, str, list[str]]]]:
    """{"inputs": [(name, dtype, shape)], "outputs": [...]}; a dimension is its size, or
    ``batch`` for the first when it is symbolic, or its symbol."""
    initializers = {init.name for init in model.graph.initializer}

    def describe(values) -> list[tuple[str, str, list[str]]]:
        rows = []
        for value in values:
            if value.name in initializers:  # older exporters list weights as inputs
                continue
            tensor = value.type.tensor_type
            dims = [str(d.dim_value) if d.HasField("dim_value") else (d.dim_param or "?")
                    for d in tensor.shape.dim]
            if dims and not dims[0].isdigit():
                dims[0] = BATCH
            rows.append((value.name, onnx.TensorProto.DataType.Name(tensor.elem_type).lower(),
                         dims))
        return rows

    return {"inputs": describe(model.graph.input), "outputs": describe(model.graph.output)}


def differences(candidate: onnx.ModelProto, reference: onnx.ModelProto, role: str) -> list[str]:
    """Every way the candidate's contract differs from ``reference``'s, as phrases."""
    mine, theirs = io_signature(candidate), io_signature(reference)
    found = []
    for kind in ("inputs", "outputs"):
        a, b = mine[kind], theirs[kind]
        if len(a) != len(b):
            found.append(f"{len(a)} {kind} vs {len(b)} for the {role}")
        for (name, dtype, shape), (rname, rdtype, rshape) in zip(a, b, strict=False):
            what = kind[:-1]
            if name != rname:
                found.append(f"{what} '{name}' is named '{rname}' in the {role}")
            if dtype != rdtype:
                found.append(f"{what} '{name}' is {dtype}, {rdtype} in the {role}")
            if shape != rshape:
                found.append(f"{what} '{name}' has shape [{', '.join(shape)}], "
                             f"[{', '.join(rshape)}] in the {role}")
    return found


def contract_rows(models: dict[str, onnx.ModelProto], candidate: str, references: list[str],
                  nonfinite: int, tested: int) -> list[dict[str, Any]]:
    """The always-on exact checks, as gate rows: the I/O contract against each reference
    present, and finite outputs on every test input."""
    found = [d for ref in references if ref in models
             for d in differences(models[candidate], models[ref], ref)]
    contract = _row("io_contract", "io_differences", len(found), "; ".join(found) or "",
                    "inputs and outputs match " + " and ".join(r for r in references
                                                               if r in models))
    finite = _row("finite_outputs", "nonfinite_outputs", nonfinite,
                  f"{nonfinite} of {tested} test inputs give NaN or inf outputs from the "
                  f"{candidate} model; they count as wrong, not as class 0" if nonfinite else "",
                  f"all {tested} test outputs finite")
    return [contract, finite]


def _row(name: str, metric: str, value: int, problem: str, fine: str) -> dict[str, Any]:
    passed = value == 0
    return {"name": name, "metric": metric, "basis": "absolute", "comparator": "<=",
            "threshold": 0.0, "value": float(value), "interval": None, "resolution": 0.0,
            "decision": "pass" if passed else "fail", "passed": passed,
            "note": problem if not passed else "", "detail": fine if passed else problem}
