"""The greedy allocation the latency and energy budgets share."""

from prunegate.compression.allocation import greedy

TABLE = {"a": {0.0: 0.0, 0.5: 4.0, 0.9: 6.0}, "b": {0.0: 0.0, 0.5: 1.0, 0.9: 2.0}}
LOST = {"a": {0.0: 0.0, 0.5: 0.1, 0.9: 0.5}, "b": {0.0: 0.0, 0.5: 0.1, 0.9: 0.5}}


def test_greedy_takes_the_cheapest_measured_saving_first_and_stops_at_the_goal():
    table, lost = TABLE, LOST
    ratios, predicted, _ = greedy(table, lost, start=10.0, goal=7.0)
    assert ratios == {"a": 0.5, "b": 0.0} and predicted == 6.0
    # a at 0.9 alone meets 4.5 losing 0.5; a 0.5 + b 0.9 would too, but lose 0.6
    ratios, predicted, _ = greedy(table, lost, start=10.0, goal=4.5)
    assert ratios == {"a": 0.9, "b": 0.0} and predicted == 4.0
    ratios, predicted, _ = greedy(table, lost, start=10.0, goal=3.5)
    assert ratios == {"a": 0.9, "b": 0.5} and predicted == 3.0
    ratios, predicted, _ = greedy(table, lost, start=10.0, goal=0.1)
    assert ratios == {"a": 0.9, "b": 0.9} and predicted == 2.0   # unreachable: all at max


def test_with_a_cost_the_model_is_re_evaluated_after_every_move():
    """Savings that do not add up (here each layer saves less once the other is pruned) are
    seen after each move, and the allocation goes on until the real cost meets the goal."""
    evaluated = []

    def cost(ratios):
        evaluated.append(dict(ratios))
        return 10.0 - 0.5 * sum(TABLE[n][r] for n, r in ratios.items())   # half the table

    ratios, reached, steps = greedy(TABLE, LOST, start=10.0, goal=6.5, cost=cost)
    # summed, a to 0.5 alone would have met 6.5; evaluated, it took three moves
    assert [(s["layer"], s["ratio"], s["cost"]) for s in steps] == [
        ("a", 0.5, 8.0), ("a", 0.9, 7.0), ("b", 0.5, 6.5)]
    assert len(evaluated) == 3 and ratios == {"a": 0.9, "b": 0.5} and reached == 6.5
