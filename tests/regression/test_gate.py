import pytest


def test_check(check_name: str, verdict: dict) -> None:
    check = next(c for c in verdict["checks"] if c["name"] == check_name)
    if check["decision"] == "skipped":
        pytest.skip(check["note"])
    interval = check["interval"]
    spread = (f" (one-sided {verdict.get('confidence', 0.95):.0%} bounds "
              f"[{interval[0]:.4g}, {interval[1]:.4g}])"
              if interval and interval[0] != interval[1] else "")
    # undecided is not a pass: it fails the case too, and its note says what would decide it
    assert check["decision"] == "pass", (
        f"{check_name} {check['decision']}: {check['metric']} ({check['basis']}) = "
        f"{check['value']:.4g}{spread}, "
        f"needs {check['comparator']} {check['threshold']:g}"
        + (f"; {check['note']}" if check["note"] else ""))
