"""The LCM and PBT chapter: learning-curve matching against random search on the same configurations, and one
population trained by PBT.

The experiments (:func:`lcm_versus_random`, :func:`population`) and their analysis (:class:`Pair`'s time
share and accuracy gap, :func:`final_members`, :func:`beside_slides`, :func:`headline`) are here, where tests
reach them; the notebook holds the narrative, parameters, figures and calls, and writes :class:`Results`, which
the claims ledger reads. The slides' numbers are read from :data:`hpolib.book.sources.LCM`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import pandas as pd

from ..book.sources import LCM
from ..space import Float, Int, Space

__all__ = ["SPACE", "PBT_NETWORK", "four_conv", "Pair", "Member", "Results", "lcm_versus_random", "table",
           "pbt_space", "population", "final_members", "beside_slides", "headline"]

SPACE = Space({"lr": Float(1e-3, 1.0, log=True), "momentum": Float(0.0, 0.95),
               "weight_decay": Float(1e-6, 1e-2, log=True), "batch_size": Int(16, 256, log=True)})
"""The space both LCM experiments search: learning rate, momentum, decay and batch size, as the slides'."""

PBT_NETWORK = {"hidden_layers": 2, "activation": "sigmoid", "batch_size": 32, "momentum": 0.0}
"""The slides' PBT member, FC-sigmoid-FC-sigmoid-FC trained by plain SGD at batch 32 (its width: ``width``)."""


def four_conv(width: int) -> dict:
    """The slides' CIFAR-10 network (Keras' CIFAR-10 example) with ``width`` filters in its first two conv layers:
    two 3x3 conv layers, 2x2 max-pooling and dropout 0.25, two of twice the width, pooling and dropout again, a
    dense layer of 16 x ``width`` with dropout 0.5. A width of 32 is the slides' network."""
    return {"filters": [width, width, 2 * width, 2 * width], "pool": [False, True, False, True],
            "dropouts": [0.0, 0.25, 0.0, 0.25], "dense": [16 * width], "dense_dropout": 0.5}


@dataclass(frozen=True)
class Pair:
    """One seed's random search with and without LCM on the same configurations: the epochs each trained, the
    trials LCM stopped, each one's best validation accuracy, random search's best once it had spent LCM's epochs
    (NaN if its first trial cost more), LCM's share of the epochs, and the seconds each took (wall time)."""

    seed: int
    random_epochs: float
    lcm_epochs: float
    lcm_stopped: int
    random_best: float
    lcm_best: float
    random_best_at_lcm_epochs: float
    epochs_share: float
    random_seconds: float
    lcm_seconds: float

    @property
    def seconds_share(self) -> float:
        """LCM's seconds over random search's."""
        return self.lcm_seconds / self.random_seconds

    @property
    def accuracy_gap(self) -> float:
        """LCM's best validation accuracy minus random search's, in percentage points."""
        return 100 * (self.lcm_best - self.random_best)


@dataclass(frozen=True)
class Member:
    """A PBT member at the end of training: its last validation accuracy and hyperparameters."""

    member: int
    value: float
    lr: float
    lr_decay: float
    lr_decay_every: int


def _rows(kind: type, records: list) -> list:
    """``records`` as ``kind`` (dicts, as a results file holds them, are converted)."""
    return [r if isinstance(r, kind) else kind(**{f.name: r[f.name] for f in fields(kind)}) for r in records]


@dataclass
class Results:
    """What the chapter's notebook writes (``lcm_pbt_results.json``) and the claims ledger reads: the settings,
    one :class:`Pair` per seed of each LCM experiment (one dense layer; the four-conv network), PBT's members at
    the end, and the CPU it ran on."""

    profile: str
    settings: dict
    lcm: list[Pair] = field(default_factory=list)
    lcm_cnn: list[Pair] = field(default_factory=list)
    pbt_final: list[Member] = field(default_factory=list)
    cpu: str | None = None

    def __post_init__(self):
        self.lcm, self.lcm_cnn = _rows(Pair, self.lcm), _rows(Pair, self.lcm_cnn)
        self.pbt_final = _rows(Member, self.pbt_final)

    def pairs(self, cnn: bool = False) -> list[Pair]:
        """The four-conv network's pairs (``cnn``), else the dense layer's."""
        return self.lcm_cnn if cnn else self.lcm

    @property
    def pbt_best(self) -> float | None:
        """The best member's validation accuracy at the end."""
        return max((m.value for m in self.pbt_final), default=None)

    def write(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(asdict(self), indent=1, default=float) + "\n")

    @classmethod
    def read(cls, source: str | Path | Mapping) -> Results:
        """From a results file or its parsed content; a key that is not a field is refused (a file of an older
        form), but one that starts with ``_`` (the ledger's ``_provenance``) is left aside."""
        data = source if isinstance(source, Mapping) else json.loads(Path(source).read_text())
        names = [f.name for f in fields(cls)]
        unknown = sorted(k for k in data if k not in names and not k.startswith("_"))
        if unknown:
            raise ValueError(f"not fields of {cls.__module__}.{cls.__name__}: {', '.join(unknown)}")
        return cls(**{name: data[name] for name in names if name in data})


def _experiment(settings: dict, cnn: bool) -> dict:
    """One LCM experiment's seeds, trials, epochs and checkpoints: the four-conv network's (``cnn``) or the dense
    layer's."""
    prefix = "cnn_" if cnn else ""
    return {"seeds": settings[f"{prefix}seeds"], "n_trials": settings["cnn_trials" if cnn else "n_trials"],
            "epochs": settings[f"{prefix}epochs"], "checkpoints": settings[f"{prefix}checkpoints"]}


def lcm_versus_random(objective: Callable, settings: dict, cnn: bool = False, space: Space = SPACE) -> list[Pair]:
    """Per seed, random search with and without LCM on the same configurations of ``space``
    (:func:`hpolib.analysis.compare.compare_stopping`), as ``settings`` (the chapter's) set the dense layer's
    experiment, or the four-conv network's (``cnn``)."""
    from ..analysis.compare import compare_stopping
    from ..schedulers import LearningCurveMatching

    run = _experiment(settings, cnn)

    def lcm() -> LearningCurveMatching:
        return LearningCurveMatching(run["checkpoints"], n_trials=run["n_trials"], split_rate=settings["split_rate"],
                                     early_stopping_rate=settings["early_stopping_rate"],
                                     n_neighbours=settings["n_neighbours"], budget=run["epochs"])

    found = compare_stopping(space, objective, lcm, run["seeds"], n_trials=run["n_trials"],
                             trial_budget=run["epochs"], metric="val_accuracy", progress=False)
    found = found.rename(columns=lambda c: c.replace("full", "random").replace("early", "lcm"))
    return _rows(Pair, found.to_dict("records"))


def table(pairs: list[Pair]) -> pd.DataFrame:
    """``pairs`` as a table, one row per seed."""
    return pd.DataFrame([asdict(p) for p in pairs], columns=[f.name for f in fields(Pair)])


def pbt_space(settings: dict) -> Space:
    """What PBT explores: the initial learning rate, the decay ratio and its pace, in the chapter's ranges."""
    return Space({"lr": Float(*settings["lr_range"]), "lr_decay": Float(*settings["decay_range"]),
                  "lr_decay_every": Int(*settings["decay_every"])})


def population(objective: Callable, settings: dict) -> pd.DataFrame:
    """A population trained by PBT as ``settings`` set it, on the first seed: every member's segments in order
    (:meth:`hpolib.PBT.schedule`)."""
    from ..optimizers import RandomSearch
    from ..schedulers import PBT
    from ..study import Study

    space, seed = pbt_space(settings), settings["seeds"][0]
    pbt = PBT(space, population_size=settings["population_size"], ready=settings["ready"],
              max_steps=settings["pbt_epochs"], perturb=settings["perturb"],
              resample_probability=settings["resample_probability"], seed=seed)
    study = Study(space, RandomSearch(space, seed=seed), direction="maximize", metric="val_accuracy", storage=None,
                  scheduler=pbt)
    study.optimize(objective, progress=False)
    return PBT.schedule(study.trials)


def final_members(schedule: pd.DataFrame) -> list[Member]:
    """Each member's last segment of ``schedule`` (:func:`population`): its value and hyperparameters."""
    last = schedule.sort_values("end").groupby("member").last().reset_index()
    return _rows(Member, last.to_dict("records"))


def _here(pairs: list[Pair], label: str) -> dict:
    rows = table(pairs)
    return {"": f"here, {label} (median of {len(rows)} seeds)",
            "random": f"{rows.random_epochs.median():.0f} epochs, {100 * rows.random_best.median():.2f} %",
            "LCM": f"{rows.lcm_epochs.median():.0f} epochs, {100 * rows.lcm_best.median():.2f} %",
            "LCM share": rows.epochs_share.median()}


def _slides(dataset: str, label: str) -> dict:
    n = LCM[dataset]
    return {"": f"slides, {label}", "random": f"{n['random_seconds']:g} s, {n['random']:.2f} %",
            "LCM": f"{n['lcm_seconds']:g} s, {n['lcm']:.2f} %", "LCM share": n["lcm_seconds"] / n["random_seconds"]}


def beside_slides(settings: dict, lcm: list[Pair], lcm_cnn: list[Pair]) -> pd.DataFrame:
    """The slides' seconds and best accuracy of random search and LCM beside ours (epochs, median over seeds) on
    the dense layer (``lcm``) and the four-conv network (``lcm_cnn``), with LCM's share of each."""
    return pd.DataFrame([_slides("mnist", "MNIST"), _here(lcm, f"{settings['dataset']}, one dense layer"),
                         _slides("cifar10", "CIFAR-10"), _here(lcm_cnn, f"{settings['cnn_dataset']}, four-conv")])


def headline(results: Results) -> dict[str, object]:
    """The numbers the chapter's summary quotes, by name: each LCM experiment's data, its median share of random
    search's epochs and its median accuracy gap (pp), and PBT's best member."""
    numbers: dict[str, object] = {}
    for prefix, cnn in (("lcm", False), ("cnn", True)):
        pairs = results.pairs(cnn)
        numbers[f"{prefix}_dataset"] = results.settings["cnn_dataset" if cnn else "dataset"]
        numbers[f"{prefix}_share"] = float(pd.Series([p.epochs_share for p in pairs]).median())
        numbers[f"{prefix}_gap"] = float(pd.Series([p.accuracy_gap for p in pairs]).median())
    numbers["pbt_best"] = results.pbt_best
    return numbers
