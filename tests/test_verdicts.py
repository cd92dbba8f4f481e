"""The ledger's one verdict rule, driven through each of its outcomes with synthetic evidence."""

import pytest

from hpolib.book.verdicts import (MIN_SEEDS, RULES, Arithmetic, Effect, Level, Share, Unmeasured, Verdict, holm,
                                  judge)

R, P, N, I = Verdict.REPRODUCED, Verdict.PARTLY, Verdict.NOT_REPRODUCED, Verdict.INCONCLUSIVE  # noqa: E741


@pytest.mark.parametrize("values, expected", [
    ([0.955, 0.957, 0.959, 0.956], R),          # a tight interval inside 0.957 ± 0.01
    ([0.90, 0.905, 0.902], N),                   # wholly below the band
    ([0.94, 0.96, 0.98], I),                     # the interval straddles the band's edge
    ([0.957, 0.958], I),                         # too few seeds however close
    ([0.90, 0.90], I),                           # too few seeds however far: caps run both ways
])
def test_a_number_to_match(values, expected):
    assert judge(Level(values, source=0.957, tolerance=0.01)).verdict == expected


def test_a_number_read_on_too_coarse_a_measure_is_inconclusive_whatever_it_reads():
    tight = [0.671, 0.672, 0.671, 0.672]
    assert judge(Level(tight, 0.67, 0.005, resolution=1 / 300)).verdict == I
    assert judge(Level(tight, 0.67, 0.005, resolution=1 / 5000)).verdict == R


def test_a_floor_passes_above_and_fails_only_below_the_source_less_its_tolerance():
    above = [0.70, 0.71, 0.705]
    assert judge(Level(above, 0.665, 0.01, at_least=True)).verdict == R
    assert judge(Level(above, 0.665, 0.01)).verdict == N  # two-sided: far above the band is outside it
    assert judge(Level([0.62, 0.625, 0.621], 0.665, 0.01, at_least=True)).verdict == N
    assert judge(Level([0.10, 0.12, 0.11], 0.21, 0.05, at_least=True, higher=False)).verdict == R  # a cost


def test_a_count_is_judged_by_its_exact_interval_not_by_a_mean_of_zeros_and_ones():
    # 9 of 9 has no spread, so a t-interval would be the single point 1 and call it far from 5 of 9; the exact
    # interval is [0.66, 1] at 95 %, across the edge of 0.56 ± 0.25
    assert judge(Level([1.0] * 9, 5 / 9, 0.25)).verdict == N
    nine = judge(Share(9, 9, 5 / 9, 0.25))
    assert nine.verdict == I and nine.parts[0]["interval"][0] == pytest.approx(0.025 ** (1 / 9))
    assert judge(Share(30, 30, 5 / 9, 0.25)).verdict == N  # [0.88, 1]: wholly above the band
    assert judge(Share(50, 100, 5 / 9, 0.25)).verdict == R  # [0.40, 0.60]: inside [0.31, 0.81]
    assert judge(Share(2, 2, 1.0, 0.5)).verdict == I  # too few repetitions
    assert judge(Share(9, 9, 5 / 9, 0.25), Share(9, 9, 5 / 9, 0.25)).parts[0]["confidence"] == 0.975  # Bonferroni
    with pytest.raises(ValueError, match="hits must lie in"):
        Share(10, 9, 0.5, 0.25)


def test_an_effect_needs_pairs_enough_to_reach_significance_in_either_direction():
    ahead = judge(Effect([2, 3, 4, 5, 6, 7], [1, 1, 1, 1, 1, 1], label="A ahead of B"))
    assert ahead.verdict == R and ahead.parts[0]["wins"] == 6 and ahead.parts[0]["p"] < 0.05
    assert judge(Effect([0, 0, 0, 0, 0, 0], [1, 2, 3, 4, 5, 6])).verdict == N
    assert judge(Effect([1, 2, 1, 2, 1, 2, 1, 2], [2, 1, 2, 1, 2, 1, 2, 1])).verdict == I  # within noise
    four = judge(Effect([2, 2, 2, 2], [1, 1, 1, 1]))
    assert four.verdict == I and "too few" in four.reason  # 4 of 4 wins: p = 0.0625 at best
    ties = judge(Effect([2, 2, 2, 2, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1]))
    assert ties.verdict == I and ties.parts[0]["smallest_p"] == 2 ** -4  # ties do not count as pairs
    assert judge(Effect([1, 1, 1, 1, 1, 1], [2, 3, 4, 5, 6, 7], higher=False)).verdict == R  # lower is ahead


def test_several_effects_in_one_claim_are_holm_corrected():
    five = ([2, 3, 4, 5, 6], [1, 1, 1, 1, 1])  # alone p = 0.031, reproduced
    assert judge(Effect(*five)).verdict == R
    both = judge(Effect(*five), Effect(*five))
    assert both.verdict == I and all(p["smallest_p"] == 2 * 2 ** -5 for p in both.parts)
    assert holm([0.01, 0.04, 0.03, float("nan")])[:3] == pytest.approx([0.03, 0.06, 0.06])


def test_parts_combine_into_one_verdict():
    yes, no, maybe = (Effect([2] * 6, [1] * 6), Effect([1] * 6, [2] * 6), Level([0.9, 0.91], 0.9, 0.01))
    assert judge(yes, yes).verdict == R
    assert judge(yes, no).verdict == P
    assert judge(no, no).verdict == N
    assert judge(no, maybe).verdict == N
    assert judge(yes, maybe).verdict == I
    scale = Unmeasured("the source trains all of CIFAR-10", comparable=False)
    assert judge(yes, scale).verdict == R and "all of CIFAR-10" in judge(yes, scale).reason
    assert judge(scale).verdict == Verdict.NOT_COMPARABLE
    assert judge(Unmeasured("no run yet")).verdict == Verdict.NOT_MEASURED
    assert judge(scale, Unmeasured("no run yet")).verdict == Verdict.NOT_COMPARABLE


def test_arithmetic_is_consistent_or_not_and_never_counted_as_measured():
    assert judge(Arithmetic(749e6, 740e6, 0.05)).verdict == Verdict.CONSISTENT
    assert judge(Arithmetic(900e6, 740e6, 0.05)).verdict == N
    assert not Verdict.CONSISTENT.measured and Verdict.INCONCLUSIVE.measured


def test_bad_evidence_is_refused():
    with pytest.raises(ValueError, match="must pair up, got 3 and 2"):
        judge(Effect([1, 2, 3], [1, 2]))
    with pytest.raises(ValueError, match="at least one part"):
        judge()


def test_every_rule_has_its_text_and_the_text_states_the_code_constants():
    assert set(RULES) == {Level, Share, Effect, Arithmetic, Unmeasured, type(judge(Unmeasured("x")))}
    assert f"at least {MIN_SEEDS} seeds" in RULES[Level] and "95%" in RULES[Level]
    assert f"at least {MIN_SEEDS} repetitions" in RULES[Share] and "Clopper-Pearson" in RULES[Share]
    assert "Holm" in RULES[Effect] and "p < 0.05" in RULES[Effect]
