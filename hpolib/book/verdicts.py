"""The ledger's one verdict rule: what our evidence says of a source's claim, applied the same way to every claim.

A claim's evidence is one or more *parts*, each of one kind:

- :class:`Level`, a number to match: our values over seeds against the source's number within a tolerance;
- :class:`Share`, a count to match: how many of our repetitions came out one way, against the source's share;
- :class:`Effect`, one thing beating another: paired values over seeds (or problems);
- :class:`Arithmetic`, a computation on the source's own figures (its verdict, *consistent*, is not counted with
  the measured ones);
- :class:`Unmeasured`, a part this profile cannot judge: *not comparable at this scale* or *not measured*.

:func:`judge` gives the verdict. The rules are the text of :data:`RULES`, which the claims page prints, so the
page and the code cannot say different things; a test drives every rule through each of its outcomes.

>>> judge(Level([0.958, 0.961, 0.957], source=0.957, tolerance=0.01, resolution=1e-4)).verdict.value
'reproduced'
>>> judge(Level([0.958, 0.961], source=0.957, tolerance=0.01)).verdict.value
'inconclusive'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from ..analysis.stats import ALPHA

__all__ = ["Verdict", "Level", "Share", "Effect", "Arithmetic", "Unmeasured", "Judgement", "judge", "holm", "RULES",
           "MIN_SEEDS", "CONFIDENCE", "RESOLUTION_SHARE"]


class Verdict(str, Enum):
    """What the evidence says of a claim."""

    REPRODUCED = "reproduced"
    PARTLY = "partly"
    NOT_REPRODUCED = "not reproduced"
    INCONCLUSIVE = "inconclusive"
    NOT_COMPARABLE = "not comparable at this scale"
    NOT_MEASURED = "not measured"
    CONSISTENT = "consistent"

    @property
    def measured(self) -> bool:
        """A verdict that evidence decided (counted with the others), not a scale, an absence or arithmetic."""
        return self in (Verdict.REPRODUCED, Verdict.PARTLY, Verdict.NOT_REPRODUCED, Verdict.INCONCLUSIVE)


MIN_SEEDS = 3
"""The fewest seeds (or problems) a measured verdict other than *inconclusive* rests on."""
CONFIDENCE = 0.95
"""The level of a number's interval; with several parts in one claim, each interval widens (Bonferroni)."""
RESOLUTION_SHARE = 4
"""A measure must resolve a quarter of its tolerance: one image of a 300-image accuracy (0.33 pp) is too coarse for
a 0.5 pp tolerance, one of a 2,000-image accuracy (0.05 pp) is not."""


@dataclass(frozen=True)
class Level:
    """Our ``values`` (one per seed) against the source's number ``source`` within ``tolerance``.

    ``at_least``: the claim is a floor (the source's number or better, ``higher`` telling which way is better);
    ``resolution``: the smallest step the measure can take (1 / images for an accuracy); ``label``: what the
    values are, for the reason.
    """

    values: Sequence[float]
    source: float
    tolerance: float
    resolution: float = 0.0
    at_least: bool = False
    higher: bool = True
    label: str = "ours"
    per: str = "seeds"


@dataclass(frozen=True)
class Share:
    """``hits`` of our ``repetitions`` came out the way the source counts (the same optimum found, say), against
    the source's share ``source`` within ``tolerance``: a count, whose interval is exact, not a mean's."""

    hits: int
    repetitions: int
    source: float
    tolerance: float
    label: str = "our share"

    def __post_init__(self):
        if not 0 <= self.hits <= self.repetitions:
            raise ValueError(f"{self.label}: hits must lie in [0, repetitions={self.repetitions}], got {self.hits}")


@dataclass(frozen=True)
class Effect:
    """``first`` ahead of ``second``, paired per seed or problem (``higher``: larger is ahead)."""

    first: Sequence[float]
    second: Sequence[float]
    higher: bool = True
    label: str = "the effect"


@dataclass(frozen=True)
class Arithmetic:
    """Our computation ``ours`` of a figure the source states as ``source``, agreeing within ``relative``."""

    ours: float
    source: float
    relative: float
    label: str = "the figure"


@dataclass(frozen=True)
class Unmeasured:
    """A part this profile cannot judge: ``comparable=False`` for another scale, else not measured."""

    reason: str
    comparable: bool = True


Part = Level | Share | Effect | Arithmetic | Unmeasured


@dataclass(frozen=True)
class Judgement:
    """A claim's verdict, its reason, and per part the interval or test it rests on."""

    verdict: Verdict
    reason: str
    parts: list[dict] = field(default_factory=list)


RULES = {
    Level: (
        f"**A number to match** (an accuracy, a share of compute): with at least {MIN_SEEDS} seeds, the "
        f"{CONFIDENCE:.0%} t-interval of our mean lies wholly inside the source's number ± the tolerance "
        f"(wholly above the source's number less the tolerance, for a floor): *reproduced*; wholly outside: "
        f"*not reproduced*; else, or with fewer seeds, *inconclusive*. A measure that cannot resolve "
        f"1/{RESOLUTION_SHARE} of its tolerance (one image of a small validation set) is *inconclusive* whatever "
        f"it reads. With several numbers in one claim, each interval is widened to {CONFIDENCE:.0%} over them "
        f"all (Bonferroni)."),
    Share: (
        f"**A count to match** (in how many of its repetitions something happened): with at least {MIN_SEEDS} "
        f"repetitions, the exact {CONFIDENCE:.0%} Clopper-Pearson interval of our share is judged against the "
        f"source's share ± the tolerance as a number's interval is; it is widened with them (Bonferroni)."),
    Effect: (
        f"**An effect** (one method ahead of another): a one-sided exact Wilcoxon signed-rank test over paired "
        f"seeds or problems, Holm-corrected over the claim's tests; p < {ALPHA:g} in the claim's direction: "
        f"*reproduced*; p < {ALPHA:g} the other way: *not reproduced*; else *inconclusive*, and *inconclusive* "
        f"from the start when the pairs that differ are too few for any outcome to reach p < {ALPHA:g} (five "
        f"pairs reach at best p = 0.031, four 0.062; ties are dropped)."),
    Arithmetic: (
        "**Arithmetic** on the source's own figures (a cost from its ranges): *consistent* within the stated "
        "relative tolerance, else *not reproduced*; *consistent* rows are not counted with the measured verdicts."),
    Unmeasured: (
        "***not comparable at this scale***: the claim is about an absolute number at a data set, model or budget "
        "this profile does not run; ***not measured***: nothing here measures it yet."),
    Judgement: (
        "**A claim of several parts** is *reproduced* when every part is, *partly* when some are and some are "
        "not, *not reproduced* when none is and at least one is not, else *inconclusive*; parts that cannot be "
        "judged at this scale are named and left out."),
}
"""Each rule's text, keyed by the kind of evidence it judges (``Judgement``: how parts combine): the claims page
prints these."""


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment of ``p_values`` (NaN stays NaN), as a list in the same order.

    >>> [round(p, 3) for p in holm([0.01, 0.04, 0.03])]
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=float)
    order = [i for i in np.argsort(p) if not math.isnan(p[i])]
    adjusted, running = np.full(len(p), math.nan), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(order) - rank) * p[i]))
        adjusted[i] = running
    return adjusted.tolist()


def judge(*parts: Part) -> Judgement:
    """The verdict on a claim whose evidence is ``parts`` (see :data:`RULES`)."""
    if not parts:
        raise ValueError("judge needs at least one part of evidence")
    effects = [part for part in parts if isinstance(part, Effect)]
    for part in effects:
        if len(part.first) != len(part.second):
            raise ValueError(f"{part.label}: first and second must pair up, got {len(part.first)} and "
                             f"{len(part.second)} values")
    adjusted = dict(zip(map(id, effects), _holm_effects(effects)))
    intervals = sum(isinstance(part, (Level, Share)) for part in parts)  # widened together (Bonferroni)
    judged = [_effect(part, *adjusted[id(part)], len(effects)) if isinstance(part, Effect) else
              _level(part, intervals) if isinstance(part, Level) else
              _share(part, intervals) if isinstance(part, Share) else
              _arithmetic(part) if isinstance(part, Arithmetic) else _unmeasured(part) for part in parts]
    if len(judged) == 1:
        return judged[0]
    return _combined(judged)


def _combined(judged: list[Judgement]) -> Judgement:
    decided = [j for j in judged if j.verdict.measured or j.verdict == Verdict.CONSISTENT]
    details = [d for j in judged for d in j.parts]
    reason = "; ".join(j.reason for j in judged)
    if not decided:
        scale = any(j.verdict == Verdict.NOT_COMPARABLE for j in judged)
        return Judgement(Verdict.NOT_COMPARABLE if scale else Verdict.NOT_MEASURED, reason, details)
    held = [j.verdict in (Verdict.REPRODUCED, Verdict.CONSISTENT) for j in decided]
    failed = [j.verdict == Verdict.NOT_REPRODUCED for j in decided]
    verdict = (Verdict.REPRODUCED if all(held) else Verdict.PARTLY if any(held) and any(failed)
               else Verdict.NOT_REPRODUCED if any(failed) and not any(held) else Verdict.INCONCLUSIVE)
    return Judgement(verdict, reason, details)


def _level(part: Level, parts: int) -> Judgement:
    values = np.asarray(part.values, dtype=float)
    values = values[~np.isnan(values)]
    n, confidence = len(values), 1 - (1 - CONFIDENCE) / parts
    low, high = part.source - part.tolerance, part.source + part.tolerance
    detail = {"kind": "level", "label": part.label, "per_seed": values.tolist(), "n": n, "source": part.source,
              "tolerance": part.tolerance, "resolution": part.resolution, "at_least": part.at_least}
    band = (f"{part.source:.4g} ± {part.tolerance:.3g}" if not part.at_least else
            f"{'≥' if part.higher else '≤'} {low if part.higher else high:.4g} (the source's {part.source:.4g} "
            f"{'less' if part.higher else 'plus'} {part.tolerance:.3g})")
    if part.resolution > part.tolerance / RESOLUTION_SHARE:
        return Judgement(Verdict.INCONCLUSIVE, f"{part.label}: the measure's step ({part.resolution:.3g}) is coarser "
                                               f"than 1/{RESOLUTION_SHARE} of the tolerance ({part.tolerance:.3g})",
                         [detail])
    if n < MIN_SEEDS:
        mean = f"{values.mean():.4g}" if n else "no value"
        return Judgement(Verdict.INCONCLUSIVE, f"{part.label}: {mean} on {n} {_unit(part.per, n)} (fewer than "
                                               f"{MIN_SEEDS}: too few to tell) against {band}", [detail])
    from scipy import stats

    mean, half = values.mean(), stats.t.ppf(0.5 + confidence / 2, n - 1) * values.std(ddof=1) / math.sqrt(n)
    interval = (mean - half, mean + half)
    detail |= {"interval": list(interval), "confidence": confidence, "test": f"{confidence:.1%} t-interval"}
    verdict, where = _placed(interval, low, high, part.at_least, part.higher)
    return Judgement(verdict, f"{part.label}: {mean:.4g} over {n} {_unit(part.per, n)}, {_percent(confidence)} "
                              f"interval [{interval[0]:.4g}, {interval[1]:.4g}], {where} {band}", [detail])


def _share(part: Share, parts: int) -> Judgement:
    from scipy.stats import binomtest

    n, confidence = part.repetitions, 1 - (1 - CONFIDENCE) / parts
    low, high = part.source - part.tolerance, part.source + part.tolerance
    said = f"{part.label}: {part.hits} of {n}"
    band = f"{part.source:.3g} ± {part.tolerance:.3g}"
    detail = {"kind": "share", "label": part.label, "hits": part.hits, "n": n, "source": part.source,
              "tolerance": part.tolerance, "at_least": False}
    if n < MIN_SEEDS:
        return Judgement(Verdict.INCONCLUSIVE, f"{said} (fewer than {MIN_SEEDS}: too few to tell) against {band}",
                         [detail])
    found = binomtest(part.hits, n).proportion_ci(confidence, method="exact")
    interval = (float(found.low), float(found.high))
    detail |= {"interval": list(interval), "confidence": confidence,
               "test": f"{confidence:.1%} Clopper-Pearson interval"}
    verdict, where = _placed(interval, low, high, at_least=False, higher=True)
    return Judgement(verdict, f"{said}, {_percent(confidence)} interval [{interval[0]:.3g}, {interval[1]:.3g}], "
                              f"{where} {band}", [detail])


def _placed(interval: tuple[float, float], low: float, high: float, at_least: bool,
            higher: bool) -> tuple[Verdict, str]:
    """Where ``interval`` lies against the band ``[low, high]`` (for a floor, ``low`` or ``high`` alone): the
    verdict and the words for it."""
    if at_least:  # a floor, in the direction that is better
        inside = interval[0] >= low if higher else interval[1] <= high
        outside = interval[1] < low if higher else interval[0] > high
    else:
        inside, outside = low <= interval[0] and interval[1] <= high, interval[1] < low or interval[0] > high
    verdict = Verdict.REPRODUCED if inside else Verdict.NOT_REPRODUCED if outside else Verdict.INCONCLUSIVE
    return verdict, "inside" if inside else "outside" if outside else "across the edge of"


def _percent(confidence: float) -> str:
    """A confidence level in the fewest digits that state it: 95 %, 97.5 %, 98.3 %."""
    return f"{confidence:.0%}" if round(confidence, 2) == round(confidence, 4) else f"{confidence:.1%}"


def _unit(per: str, n: int) -> str:
    return per if n != 1 else per.removesuffix("s")


def _holm_effects(effects: list[Effect]) -> list[tuple[float, float, int]]:
    """Per effect: the Holm-adjusted p of the claimed direction, of the other, and the pairs that differ."""
    from scipy.stats import wilcoxon

    raw = []
    for part in effects:
        diff = np.asarray(part.first, dtype=float) - np.asarray(part.second, dtype=float)
        diff = diff[~np.isnan(diff)]  # a pair with a missing value is dropped
        diff = diff if part.higher else -diff
        n = int((diff != 0).sum())
        ahead = float(wilcoxon(diff, alternative="greater").pvalue) if n else 1.0
        behind = float(wilcoxon(diff, alternative="less").pvalue) if n else 1.0
        raw.append((ahead, behind, n))
    ahead_adjusted, behind_adjusted = holm([r[0] for r in raw]), holm([r[1] for r in raw])
    return [(a, b, r[2]) for a, b, r in zip(ahead_adjusted, behind_adjusted, raw)]


def _effect(part: Effect, p_ahead: float, p_behind: float, differing: int, tests: int) -> Judgement:
    first, second = np.asarray(part.first, dtype=float), np.asarray(part.second, dtype=float)
    sign = 1 if part.higher else -1
    wins = int((sign * (first - second) > 0).sum())
    smallest = min(1.0, tests * 2.0 ** -differing)  # the exact one-sided test's floor, before Holm steps down
    detail = {"kind": "effect", "label": part.label, "first": first.tolist(), "second": second.tolist(),
              "n": len(first), "wins": wins, "p": p_ahead, "p_other_way": p_behind, "smallest_p": smallest,
              "tests": tests, "test": "one-sided exact Wilcoxon signed-rank" + (", Holm" if tests > 1 else "")}
    said = f"{part.label} on {wins} of {len(first)}"
    if smallest >= ALPHA:
        return Judgement(Verdict.INCONCLUSIVE, f"{said} (too few that differ, {differing}, for p < {ALPHA:g}: "
                                               f"the smallest attainable is {smallest:.3g})", [detail])
    if p_ahead < ALPHA:
        return Judgement(Verdict.REPRODUCED, f"{said}, p = {p_ahead:.2g}", [detail])
    if p_behind < ALPHA:
        return Judgement(Verdict.NOT_REPRODUCED, f"{said}, the other way p = {p_behind:.2g}", [detail])
    return Judgement(Verdict.INCONCLUSIVE, f"{said}, p = {p_ahead:.2g} (within noise)", [detail])


def _arithmetic(part: Arithmetic) -> Judgement:
    off = part.ours / part.source - 1
    verdict = Verdict.CONSISTENT if abs(off) <= part.relative else Verdict.NOT_REPRODUCED
    detail = {"kind": "arithmetic", "label": part.label, "ours": part.ours, "source": part.source,
              "relative": part.relative}
    return Judgement(verdict, f"{part.label}: {off:+.1%} from the source's (tolerance {part.relative:.0%})",
                     [detail])


def _unmeasured(part: Unmeasured) -> Judgement:
    verdict = Verdict.NOT_MEASURED if part.comparable else Verdict.NOT_COMPARABLE
    return Judgement(verdict, part.reason, [{"kind": "unmeasured", "reason": part.reason}])
