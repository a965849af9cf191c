import pytest


def test_check(check_name: str, verdict: dict) -> None:
    check = next(c for c in verdict["checks"] if c["name"] == check_name)
    if check["decision"] == "skipped":
        pytest.skip(check["note"])
    interval = check["interval"]
    spread = (f" (95% interval [{interval[0]:.4g}, {interval[1]:.4g}])"
              if interval and interval[0] != interval[1] else "")
    assert check["decision"] == "pass", (
        f"{check_name}: {check['metric']} ({check['basis']}) = {check['value']:.4g}{spread}, "
        f"needs {check['comparator']} {check['threshold']:g}"
        + (f"; {check['note']}" if check["note"] else ""))
