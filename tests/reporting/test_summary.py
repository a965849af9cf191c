"""The run's summaries: every choice a timing made is named, with the pin that replays it."""

from prunegate.reporting.summary import measured_choices, pin_params

QUANTIZE = {"measured": True, "chosen": "int8:Gemm", "rule": "smallest within the noise",
            "pin": {"quantize.op_types": ["Gemm"]}}
LATENCY = {"latency": {"budget_ms": 0.024, "ratios": {"fc1": 0.7, "fc2": 0.0},
                       "pin": {"prune.latency_budget_ms": None,
                               "prune.layer_ratios": {"fc1": 0.7, "fc2": 0.0}}}}


def test_every_measured_choice_is_named_with_its_pin():
    choices = measured_choices(LATENCY, QUANTIZE)
    assert [c["stage"] for c in choices] == ["quantize", "prune"]
    assert choices[0]["choice"] == "variant int8:Gemm"
    assert choices[1]["choice"] == "layer ratios fc1 70%, fc2 0%"
    assert choices[1]["pin"] == LATENCY["latency"]["pin"]


def test_a_pinned_or_unmeasured_run_has_no_measured_choice():
    assert measured_choices({"layers": {}}, {**QUANTIZE, "measured": False}) == []
    assert measured_choices() == []


def test_pins_read_as_kedro_params_unless_a_list_has_a_comma():
    assert pin_params(QUANTIZE["pin"]) == "quantize.op_types=[Gemm]"
    assert pin_params({"quantize.op_types": []}) == "quantize.op_types=[]"
    assert pin_params(LATENCY["latency"]["pin"]) == (
        "prune.latency_budget_ms=null,prune.layer_ratios.fc1=0.7,prune.layer_ratios.fc2=0.0")
    # --params splits on commas: two op types go in the recipe's YAML instead
    assert pin_params({"quantize.op_types": ["Conv", "Gemm"]}) == (
        '{"quantize.op_types": ["Conv", "Gemm"]}')
