"""The claims ledger: each source's claims, our number beside theirs, and a verdict computed by rules.

Every row says a claim of one of the five sources, the source's number and
scale, ours and our scale, the seeds behind ours, and one of
:data:`VERDICTS`. The verdicts come from three rules, written once here:

- :func:`level` (a number to match): ``reproduced`` when ours is within
  ``tolerance`` of the source's, or past it in the direction the claim
  favours; ``partly`` within twice that; else ``not reproduced``.
- :func:`direction` (an effect that must hold on each seed or problem):
  ``reproduced`` when it holds on every one of at least three; ``partly``
  when it holds on some, or on every one of fewer than three (too few to
  tell); ``not reproduced`` when it holds on none.
- ``not comparable at this scale``: the chapter ran on other data, a smaller
  model or budget than the claim is about, or did not measure it; the reason
  says which. Absolute accuracies are compared only at the source's scale.

:func:`ledger` reads a profile's results files (``<chapter>_results.json``
as the notebooks write them, and ``benchmarks/results/``) and returns the
rows; :func:`write` saves them as ``claims.json``.

>>> level(0.955, 0.957, tolerance=0.01, higher_is_better=True)
('reproduced', "within 0.01 of the source's number")
>>> direction([True, True], what="LCM saved epochs")
('partly', 'LCM saved epochs on 2 of 2 seeds (fewer than 3: too few to tell)')
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.stats import ALPHA

from .runner import ROOT

__all__ = ["VERDICTS", "Claim", "CLAIMS", "LENET_REPORT_VAL", "level", "direction", "ledger", "chapter_verdicts",
           "write"]

VERDICTS = ("reproduced", "partly", "not reproduced", "not comparable at this scale")
NOT_COMPARABLE = VERDICTS[3]
MIN_SEEDS = 3  # a direction needs this many seeds (or problems) to be called reproduced


def level(ours: float, source: float, tolerance: float, higher_is_better: bool | None = None) -> tuple[str, str]:
    """The verdict on matching the source's number: within ``tolerance`` (or beyond it in the better direction)."""
    gap = ours - source
    if higher_is_better is not None and (gap > 0) == higher_is_better:
        return VERDICTS[0], "at or past the source's number"
    if abs(gap) <= tolerance:
        return VERDICTS[0], f"within {tolerance:g} of the source's number"
    if abs(gap) <= 2 * tolerance:
        return VERDICTS[1], f"within {2 * tolerance:g} of the source, not {tolerance:g}"
    return VERDICTS[2], f"{abs(gap):.3g} from the source (tolerance {tolerance:g})"


def direction(holds: list[bool], what: str, per: str = "seeds") -> tuple[str, str]:
    """The verdict on an effect that must hold on each of ``holds`` (one entry per seed or problem)."""
    n, k = len(holds), int(sum(holds))
    said = f"{what} on {k} of {n} {per}"
    if k == 0:
        return VERDICTS[2], said
    if k == n and n >= MIN_SEEDS:
        return VERDICTS[0], said
    return VERDICTS[1], said + (f" (fewer than {MIN_SEEDS}: too few to tell)" if k == n else "")


@dataclass(frozen=True)
class Claim:
    """One claim of a source, and how to measure it from the chapter's results (``None``: not measured)."""

    id: str
    source: str
    claim: str
    source_value: str
    unit: str
    source_scale: str
    chapter: str  # the results it reads: a notebook name, or "benchmarks"
    measure: Callable[[dict], dict]  # results -> our_value, our_scale, seeds, verdict, reason


def _on_seeds(verdict: tuple[str, str], seeds: int) -> tuple[str, str]:
    """A comparison's verdict given the seeds it rests on: with fewer than three, at most ``partly``."""
    if verdict[0] == VERDICTS[0] and seeds < MIN_SEEDS:
        return VERDICTS[1], f"{verdict[1]}; {seeds} seed{'s' if seeds != 1 else ''}, too few to tell"
    return verdict


def _row(our_value, our_scale: str, seeds: int, verdict: tuple[str, str]) -> dict:
    return {"our_value": our_value, "our_scale": our_scale, "seeds": seeds, "verdict": verdict[0],
            "reason": verdict[1]}


def _not_comparable(our_value, our_scale: str, seeds: int, reason: str) -> dict:
    return _row(our_value, our_scale, seeds, (NOT_COMPARABLE, reason))


def _images(dataset: str, subset: int | None, unit: str = " images") -> str:
    """How much of ``dataset`` a chapter trained on: all of it, or ``subset`` images."""
    return f"all of {dataset}" if subset is None else f"{subset:,} {dataset}{unit}"


# ------------------------------------------------------------------------------------------ LeNet-5 (000)

def _lenet_scale(s: dict) -> str:
    return (f"{_images(s['dataset'], s['subset'])}, {s['budget']} epochs per run of {s['epochs']}-epoch trials, "
            f"best of each run retrained {s['final_epochs']} epochs on all of it")


def _lenet_seeds(r: dict) -> int:
    return len(r["settings"].get("headline_seeds", r["settings"]["seeds"]))


LENET_REPORT_VAL = {"random": 0.6783, "pso": 0.668, "bohb": 0.665}  # the report's validation accuracies


def _lenet_best(r: dict) -> dict:
    """The best confirmed validation accuracy of random search, PSO and BOHB against the report's lowest (BOHB's
    66.5 %): the report's accuracies are one run each, so reaching its level with any one of them counts."""
    s, seeds = r["settings"], _lenet_seeds(r)
    confirmed = pd.DataFrame(r.get("confirmed", [])).reindex(columns=["method", "val_accuracy"]).dropna()
    shown = {m: round(float(confirmed[confirmed.method == m].val_accuracy.max()), 4)
             for m in LENET_REPORT_VAL if (confirmed.method == m).any()}
    if not shown or s["dataset"] != "cifar10" or s["final_epochs"] < 40:
        return _not_comparable(shown or None, _lenet_scale(s), seeds,
                               "accuracy depends on data and epochs: the source trained on all of CIFAR-10 for 40")
    best, lowest = max(shown.values()), min(LENET_REPORT_VAL.values())
    verdict, reason = level(best, lowest, 0.01, higher_is_better=True)
    return _row(shown, _lenet_scale(s), seeds, (verdict, f"the best of random search, PSO and BOHB, {best:.3f}, "
                                                         f"against the report's lowest, {lowest:.3f}: {reason}"))


def _lenet_epochs(r: dict) -> dict:
    s = r["settings"]
    spent = pd.DataFrame(r.get("search_epochs", []))
    ours = round(float(spent.full_data_epochs.median()), 1) if len(spent) else None
    return _not_comparable(ours, _lenet_scale(s), _lenet_seeds(r),
                           "a cost, not a finding: each run here spends a tenth or less of the report's epochs (in "
                           "full-data epochs) by design, and lenet.best_val_acc says what that buys")


def _lenet_cheaper(r: dict) -> dict:
    """PSO and BOHB ahead of random search early in the search (one-sided Wilcoxon over seeds at a quarter or half
    of the budget), and neither clearly ahead of the other at the end or after confirmation."""
    s, seeds = r["settings"], _lenet_seeds(r)
    tests = pd.DataFrame(r.get("tests", []))
    if not len(tests) or not {"pso > random", "bohb > random", "pso > bohb"} <= set(tests.comparison):
        return _not_comparable(None, _lenet_scale(s), seeds, "random, PSO or BOHB was not run")
    early = tests[tests.measure.isin(["25% of the budget", "50% of the budget"])]
    late = tests[tests.measure.isin(["100% of the budget", "confirmed"])]

    def smallest_p(frame: pd.DataFrame, *comparisons: str) -> float:
        return float(frame[frame.comparison.isin(comparisons)].p.min())

    ours = {"pso > random, early": smallest_p(early, "pso > random"),
            "bohb > random, early": smallest_p(early, "bohb > random"),
            "pso or bohb ahead of the other, late": smallest_p(late, "pso > bohb", "bohb > pso")}
    holds = [("PSO ahead of random early", ours["pso > random, early"] < ALPHA),
             ("BOHB ahead of random early", ours["bohb > random, early"] < ALPHA),
             ("no clear winner between PSO and BOHB", not ours["pso or bohb ahead of the other, late"] < ALPHA)]
    smallest = float(tests.smallest_p.min())
    if smallest >= ALPHA:
        return _row(None, _lenet_scale(s), seeds, (VERDICTS[3], f"too few seeds: no one-sided test on them can "
                                                                f"reach p < {ALPHA:g}"))
    k = sum(ok for _, ok in holds)
    verdict = VERDICTS[0] if k == len(holds) else VERDICTS[2] if k == 0 else VERDICTS[1]
    reason = "; ".join(f"{text}: {'yes' if ok else 'no'}" for text, ok in holds) + \
        " (the smallest p of one-sided Wilcoxon tests over seeds, early: at a quarter and half of the budget, " \
        f"late: at its end and after confirmation; p < {ALPHA:g} is clear)"
    return _row({name: round(p, 3) for name, p in ours.items()}, _lenet_scale(s), seeds, (verdict, reason))


def _lenet_grid(r: dict) -> dict:
    epochs = 40 * r["grid_size"]
    verdict = level(epochs / 740e6, 1.0, 0.05)[0]  # as a ratio: within 5 %
    return _row(epochs, f"the full grid of the source's ranges ({r['grid_size']:,} points) x 40 epochs", 0,
                (verdict, f"{epochs / 740e6 - 1:+.1%} from the source's estimate (tolerance 5 %)"))


# ------------------------------------------------------------------------------------------ AutoLRS (001)

def _autolrs_scale(s: dict) -> str:
    return (f"VGG-{s['depth']} x{s['width_multiplier']:g}, {_images(s['dataset'], s['subset'])}, {s['steps']:,} "
            f"steps, tau {s['tau']}..{s['tau_max']}, k {s['k']}, tau' = {s['explore_fraction']:g} tau")


def _autolrs_accuracy(dataset: str, source: float):
    def measure(r: dict) -> dict:
        s = r["settings"]
        runs = pd.DataFrame(r["table"]).reindex(columns=["schedule", "test_accuracy"]).dropna()
        accuracy = runs[runs.schedule == "AutoLRS"].test_accuracy
        ours, seeds = (round(float(accuracy.mean()), 4) if len(accuracy) else None), len(accuracy)
        paper_scale = s["dataset"] == dataset and s["subset"] is None and s["depth"] == 16 \
            and s["width_multiplier"] == 1.0 and s["steps"] >= 20_000
        if ours is None or not paper_scale:
            return _not_comparable(ours if s["dataset"] == dataset else None, _autolrs_scale(s), seeds,
                                   f"the source trains full-width VGG-16 on all of {dataset} for 350 epochs")
        return _row(ours, _autolrs_scale(s), seeds, _on_seeds(level(ours, source, 0.01, higher_is_better=True),
                                                              seeds))
    return measure


AUTOLRS_MATCH_PP = 0.5  # "matches": the mean test-accuracy gap over seeds is no worse than this
AUTOLRS_NEAR_BEST_PP = 1.0  # and within this of the best of cosine and one-cycle


def _autolrs_vs_tuned(r: dict) -> dict:
    """AutoLRS against the tuned constant and the step schedule (must match) and the best of cosine and
    one-cycle (must be within a point), as mean test-accuracy gaps over seeds at equal training steps.

    The step schedule is the hand-tuned baseline the paper compares with: matching it is the claim's core, so
    without it the verdict is ``not reproduced``; with it but short of another test, ``partly``. The reason
    names every gap, the exploration's extra steps, and the ablation's largest change beside the seed spread.
    """
    s = r["settings"]
    gap = {g["against"]: g["mean"] for g in r.get("gaps", [])}  # none in results written before this measure
    seeds = min((g["seeds"] for g in r.get("gaps", [])), default=0)
    step = next((b for b in r.get("baselines", []) if b.startswith("step ")), None)
    decaying = [b for b in r.get("baselines", []) if b.split()[0] in ("cosine", "onecycle") and b in gap]
    wanted = {"tuned constant": r.get("tuned_constant"), "step": step}
    if not gap or any(label not in gap for label in wanted.values()) or not decaying:
        return _not_comparable(None, _autolrs_scale(s), seeds, "AutoLRS or a baseline did not finish")
    best = max(decaying, key=lambda b: -gap[b])  # the decaying schedule that tested best
    tests = [(f"{gap[label]:+.2f} pp against the {name} ({label})", gap[label] >= -AUTOLRS_MATCH_PP)
             for name, label in wanted.items()]
    tests.append((f"{gap[best]:+.2f} pp against {best}", gap[best] >= -AUTOLRS_NEAR_BEST_PP))
    matches_step = tests[1][1]
    verdict = VERDICTS[0] if all(ok for _, ok in tests) else VERDICTS[1] if matches_step else VERDICTS[2]
    runs = pd.DataFrame(r["table"])
    autolrs = runs[runs.schedule == "AutoLRS"]
    explored = float((autolrs.explore_steps / autolrs.steps).mean()) if "explore_steps" in autolrs else np.nan
    reason = (f"mean over {seeds} seed{'s' if seeds != 1 else ''} at equal training steps: "
              + "; ".join(text for text, _ in tests)
              + f" (matches: within {AUTOLRS_MATCH_PP:g} pp; the best decaying schedule: within "
              f"{AUTOLRS_NEAR_BEST_PP:g} pp); AutoLRS explored {explored:+.0%} more steps on top"
              + _ablation_note(r))
    ours = {label: round(gap[label], 2) for label in [*wanted.values(), best]}
    return _row(ours, _autolrs_scale(s), seeds, _on_seeds((verdict, reason), seeds))


def _ablation_note(r: dict) -> str:
    """The ablation's largest change in test accuracy against the seed spread of AutoLRS, as a clause."""
    rows = [a for a in r.get("ablation", [])[1:] if a.get("vs configured (pp)") is not None]
    noise = r.get("ablation_seed_noise_pp")
    if not rows or noise is None or not np.isfinite(noise):
        return ""
    top = max(rows, key=lambda a: a["vs configured (pp)"])
    return (f"; the ablation's best variant ({top['variant']}, one seed) changed test accuracy by "
            f"{top['vs configured (pp)']:+.2f} pp, against a spread of {noise:.2f} pp between AutoLRS's seeds")


# ----------------------------------------------------------------------------------- LCM and PBT (002)

def _lcm_scale(s: dict, cnn: bool) -> str:
    if cnn:
        return (f"four-conv width {s['cnn_width']}, {_images(s['cnn_dataset'], s['cnn_subset'], '')}, "
                f"{s['cnn_trials']} trials x {s['cnn_epochs']} epochs")
    return (f"one dense layer of {s['width']}, {_images(s['dataset'], s['subset'], '')}, {s['n_trials']} trials x "
            f"{s['epochs']} epochs")


def _lcm_share(dataset: str, source: float, cnn: bool):
    def measure(r: dict) -> dict:
        s, rows = r["settings"], pd.DataFrame(r["lcm_cnn" if cnn else "lcm"])
        ours, scale, seeds = round(float(rows.epochs_share.median()), 3), _lcm_scale(s, cnn), len(rows)
        if s["cnn_dataset" if cnn else "dataset"] != dataset:
            return _not_comparable(ours, scale, seeds, f"the source's data is {dataset}")
        if ours >= 1:
            return _row(ours, scale, seeds, (VERDICTS[2], "LCM saved no epochs"))
        verdict = level(ours, source, 0.10, higher_is_better=False)
        return _row(ours, scale, seeds, verdict if verdict[0] != VERDICTS[2] else
                    (VERDICTS[1], "LCM saved epochs, less than the source's share: " + verdict[1]))
    return measure


def _lcm_gap(dataset: str, source: float, cnn: bool):
    def measure(r: dict) -> dict:
        s, rows = r["settings"], pd.DataFrame(r["lcm_cnn" if cnn else "lcm"])
        ours = round(float(100 * (rows.lcm_best - rows.random_best).median()), 2)
        scale, seeds = _lcm_scale(s, cnn), len(rows)
        if s["cnn_dataset" if cnn else "dataset"] != dataset:
            return _not_comparable(ours, scale, seeds, f"the source's data is {dataset}")
        return _row(ours, scale, seeds, level(ours, source, 0.5, higher_is_better=True))
    return measure


def _pbt_best(r: dict) -> dict:
    s = r["settings"]
    ours = round(max(m["value"] for m in r["pbt_final"]), 4)
    scale = f"{s['population_size']} members x {s['pbt_epochs']} epochs, {s['dataset']}"
    if s["dataset"] != "mnist":
        return _not_comparable(ours, scale, 1, "the source's data is MNIST")
    return _row(ours, scale, 1, level(ours, 0.957, 0.01, higher_is_better=True))


# ------------------------------------------------------------------------------ IIS and fANOVA (004)

def _iis_scale(s: dict) -> str:
    return (f"{_images(s['dataset'], s['subset'])}, {'/'.join(map(str, s['resolutions']))} px, "
            f"{s['evaluations']} evaluations (IIS {'/'.join(map(str, s['iis_evaluations']))}), "
            f"{_seeds(s)} seed{'s' if _seeds(s) != 1 else ''}")


def _iis_time(r: dict) -> dict:
    s, seeds = r["settings"], _seeds(r["settings"])
    measured = r.get("time_saved_equal_error")
    if measured is None:
        total = round(float(pd.DataFrame(r["times"]).time_saved.median()), 3)
        return _not_comparable(total, _iis_scale(s), seeds,
                               "measured here: the total time of a fixed number of evaluations, not the time to "
                               "an equal error")
    measured = [-np.inf if m is None else m for m in measured]  # None: IIS never reached the direct search's error
    ours = float(np.median(measured))
    totals = r.get("time_saved_total")
    beside = f"; total pixel-epochs saved (median) {np.median(totals):.0%}" if totals else ""
    saved = f"saved on {sum(m > 0 for m in measured)} of {len(measured)} searches" + beside
    if ours <= 0:
        return _row(round(ours, 3) if np.isfinite(ours) else None, _iis_scale(s), seeds,
                    (VERDICTS[2], f"by pixel-epochs to the direct search's error IIS spent more: {saved}"))
    verdict = (VERDICTS[0], "within the source's 9 % to 42 %") if 0.09 <= ours <= 0.42 else \
        (VERDICTS[1], "a saving, outside the source's 9 % to 42 %")
    return _row(round(ours, 3), _iis_scale(s), seeds, _on_seeds((verdict[0], f"{verdict[1]}; {saved}"), seeds))


def _seeds(s: dict) -> int:
    return len(np.atleast_1d(s["seeds"] if "seeds" in s else s["seed"]))  # "seed": results of one seed


def _iis_importance(r: dict) -> dict:
    s = r["settings"]
    rows = [row for row in r["ranking"] if row["kendall_tau"] is not None and np.isfinite(row["kendall_tau"])]
    if not rows:
        return _not_comparable(None, _iis_scale(s), _seeds(s), "no ranking could be compared")
    ours = round(float(np.median([row["kendall_tau"] for row in rows])), 3)
    per = "optimiser-seed pairs" if "seed" in rows[0] else "optimisers"
    verdict = direction([row["kendall_tau"] >= 0.5 for row in rows],
                        "Kendall's tau >= 0.5 between the smallest and full resolution", per=per)
    if "top3_shared" in rows[0]:
        verdict = (verdict[0], f"{verdict[1]}; the top three share a median "
                               f"{np.median([row['top3_shared'] for row in rows]):g} of 3")
    return _row(ours, _iis_scale(s), _seeds(s), _on_seeds(verdict, _seeds(s)))


def _iis_beats_random(r: dict) -> dict:
    s, errors = r["settings"], pd.DataFrame(r["errors"]).set_index("optimizer")
    if not {"random", "tpe", "ga"} <= set(errors.index):
        return _not_comparable(None, _iis_scale(s), 1, "random, TPE or GA was not run")
    ours = {m: round(float(errors.loc[m, "direct_test_error"]), 4) for m in ("random", "tpe", "ga")}
    verdict = direction([ours[m] < ours["random"] for m in ("tpe", "ga")], "lower test error than random search's",
                        per="optimisers (TPE, GA)")
    return _row(ours, _iis_scale(s), _seeds(s), _on_seeds(verdict, _seeds(s)))


# ------------------------------------------------------------------------------- IDRIS slides (003)

def _benchmark_wins(file: str, method: str, against: str, column: str, what: str):
    def measure(r: dict) -> dict:
        if file not in r:
            kind, problem_set = file.split("_")[0], file.removesuffix(".csv").rsplit("_", 1)[1]
            return _not_comparable(None, "no benchmark results", 0, "not run yet: the " + (
                f"{problem_set} set of the " if kind == "optimizers" else "") + f"{kind} benchmark")
        rows = r[file][r[file].method.isin([method, against])]
        table = rows.set_index(["problem", "method"])[column]
        problems = sorted({p for p, m in table.index if m == method} & {p for p, m in table.index if m == against})
        ours = {p: {method: round(float(table[p, method]), 4), against: round(float(table[p, against]), 4)}
                for p in problems}
        seeds = int(rows.seeds.min())
        scale = f"{', '.join(problems)}; {seeds}+ seeds each, the {file.split('_')[0]} benchmark"
        return _row(ours, scale, seeds, direction([table[p, method] < table[p, against] for p in problems],
                                                  what, per="problems"))
    return measure


# ------------------------------------------------------------------------------------------ the list

_LENET = "Goulas and Hocquette, ICE P24 (000)"
_AUTOLRS = "Sharma, B19CSE114 (001); Jin et al. 2021"
_LCM = "Ouyang and McBride, MagmaDNN slides (002)"
_IDRIS = "IDRIS Jean Zay slides (003)"
_IIS = "Hinz et al. 2018 (004)"

CITATIONS = {_LENET: "goulas", _AUTOLRS: "sharma,jin2021", _LCM: "ouyang", _IDRIS: "idris", _IIS: "hinz2018"}
"""The book's bibliography keys of each source (``book/references.bib``)."""

CLAIMS: tuple[Claim, ...] = (
    Claim("lenet.best_val_acc", _LENET, "The best LeNet-5 widths each method found reach about 67 % accuracy "
          "after 40-epoch training.", "random 67.83 %, PSO 66.8 %, BOHB 66.5 %", "accuracy",
          "CIFAR-10 (50,000 images), 40 epochs, one run each", "lenet_hpo", _lenet_best),
    Claim("lenet.search_epochs", _LENET, "Each optimiser spends about 4,000 epochs (BOHB 1,600).",
          "4,000 epochs (BOHB 1,600)", "epochs per run", "CIFAR-10, 40-epoch trials", "lenet_hpo", _lenet_epochs),
    Claim("lenet.pso_bohb_vs_random", _LENET, "PSO and BOHB find good solutions at lower cost than random "
          "search; no clear winner between PSO and BOHB.", "qualitative",
          "p of one-sided Wilcoxon tests over seeds on the best validation accuracy so far",
          "CIFAR-10, one run per method", "lenet_hpo", _lenet_cheaper),
    Claim("lenet.grid_cost", _LENET, "A full grid over the four widths would cost about 740 million epochs.",
          "~740 million epochs", "epochs", "the report's ranges x 40 epochs", "lenet_hpo",
          _lenet_grid),
    Claim("autolrs.cifar10_acc", _AUTOLRS, "AutoLRS trains VGG-16 on CIFAR-10 to about 94 % test accuracy.",
          "94.13 % (paper), 93.79 % (reproduction)", "test accuracy", "VGG-16, all of CIFAR-10, GPU",
          "autolrs", _autolrs_accuracy("cifar10", 0.9379)),
    Claim("autolrs.vs_tuned_schedule", _AUTOLRS, "AutoLRS matches or beats a hand-tuned learning-rate "
          "schedule.", "matches or beats, in fewer steps", "test accuracy gap (pp)",
          "VGG-16, ResNet-50, Transformer, BERT; GPU", "autolrs", _autolrs_vs_tuned),
    Claim("autolrs.cifar100_acc", _AUTOLRS, "AutoLRS trains VGG-16 on CIFAR-100 to about 74 % test accuracy.",
          "74.04 % (reproduction)", "test accuracy", "VGG-16, all of CIFAR-100, GPU", "autolrs",
          _autolrs_accuracy("cifar100", 0.7404)),
    Claim("lcm.mnist_time_share", _LCM, "On MNIST, LCM needs about a fifth of random search's time for the "
          "same trials.", "21 % (778.5 s of 3657.75 s)", "share of random's compute (epochs here)",
          "MNIST, one dense layer", "lcm_pbt", _lcm_share("mnist", 778.5 / 3657.75, cnn=False)),
    Claim("lcm.mnist_acc_gap", _LCM, "On MNIST, LCM's best accuracy is close to random search's.",
          "-0.31 pp (97.10 % against 97.41 %)", "pp", "MNIST, one dense layer", "lcm_pbt",
          _lcm_gap("mnist", -0.31, cnn=False)),
    Claim("lcm.cifar10_time_share", _LCM, "On CIFAR-10, LCM needs about a third of random search's time.",
          "30 % (8069 s of 26498 s)", "share of random's compute (epochs here)", "CIFAR-10, four-conv network",
          "lcm_pbt", _lcm_share("cifar10", 8069 / 26498, cnn=True)),
    Claim("lcm.cifar10_acc_gap", _LCM, "On CIFAR-10, LCM's best accuracy is close to random search's.",
          "-0.21 pp (67.05 % against 67.26 %)", "pp", "CIFAR-10, four-conv network", "lcm_pbt",
          _lcm_gap("cifar10", -0.21, cnn=True)),
    Claim("pbt.mnist_best", _LCM, "PBT's best worker reaches 0.957 on MNIST.", "0.957", "validation accuracy",
          "MNIST, FC-sigmoid network, 10 workers", "lcm_pbt", _pbt_best),
    Claim("landscape.bo_fewer_evaluations", _IDRIS, "Bayesian optimisation finds good optima in fewer "
          "evaluations than random search.", "qualitative", "median regret after 25 evaluations",
          "slides: no numbers", "benchmarks", _benchmark_wins("optimizers_summary_held-out.csv", "hpolib-gp",
                                                                 "hpolib-random", "regret@25",
                                                                 "GP-BO below random search's regret")),
    Claim("landscape.sha_pays_off", _IDRIS, "Successive halving (Hyperband) pays off when trials are cheap "
          "to evaluate at a low budget.", "qualitative", "median regret at 25 % of the budget",
          "slides: no numbers", "benchmarks", _benchmark_wins("schedulers_summary_seeds0.csv", "hpolib-hyperband",
                                                               "hpolib-random", "regret@25%",
                                                               "Hyperband below random search's regret")),
    Claim("iis.time_saved_equal_error", _IIS, "Searching at increasing image sizes reaches the direct "
          "search's error in 9 % to 42 % less time.", "9 % to 42 %",
          "share of compute (pixel-epochs) saved to the direct search's error",
          "STL-10 and Flowers-102, 1,500 evaluations, 32-128 px", "iis_fanova", _iis_time),
    Claim("iis.importance_stable", _IIS, "The most important hyperparameters stay largely the same across "
          "resolutions.", "qualitative", "Kendall's tau, smallest vs full resolution",
          "STL-10, 1,500 evaluations", "iis_fanova", _iis_importance),
    Claim("iis.tpe_ga_beat_random", _IIS, "TPE's and the GA's final configurations test better than random "
          "search's.", "qualitative", "test error of each search's choice", "STL-10, 1,500 evaluations",
          "iis_fanova", _iis_beats_random),
)


def _results(folder: Path, benchmarks: Path) -> dict[str, dict]:
    """Every chapter's results file in ``folder`` by notebook name, and the benchmark tables."""
    found = {path.name.removesuffix("_results.json"): json.loads(path.read_text())
             for path in sorted(folder.glob("*_results.json"))}
    found["benchmarks"] = {p.name: pd.read_csv(p) for p in sorted(benchmarks.glob("*_summary_*.csv"))}
    return found


def ledger(folder: str | Path, benchmarks: str | Path | None = None) -> list[dict]:
    """One row per claim of :data:`CLAIMS`, measured from the results in ``folder`` (and ``benchmarks``)."""
    benchmarks = Path(benchmarks) if benchmarks else ROOT / "benchmarks" / "results"
    results = _results(Path(folder), benchmarks)
    return [_measured(claim, results.get(claim.chapter)) for claim in CLAIMS]


def chapter_verdicts(chapter: str, results: dict) -> list[dict]:
    """The ledger's rows of one chapter's claims, measured from its ``results`` (as the notebook writes them):
    what a chapter shows of the ledger, so the page and ``claims.json`` say the same."""
    rows = [_measured(claim, results) for claim in CLAIMS if claim.chapter == chapter]
    if not rows:
        raise ValueError(f"chapter must be one of {sorted({c.chapter for c in CLAIMS})}, got {chapter!r}")
    return rows


def _measured(claim: Claim, results: dict | None) -> dict:
    head = {k: v for k, v in asdict(claim).items() if k not in ("measure", "chapter")}
    if results is None:
        measured = _not_comparable(None, "not run at this profile", 0, f"no {claim.chapter} results here")
    else:
        measured = claim.measure(results)
    return {**head, **measured}


def write(folder: str | Path, benchmarks: str | Path | None = None) -> Path:
    """Write ``claims.json`` (the ledger of the results in ``folder``) into ``folder``; return its path."""
    path = Path(folder) / "claims.json"
    path.write_text(json.dumps(ledger(folder, benchmarks), indent=1, default=float) + "\n")
    return path
