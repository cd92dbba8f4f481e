"""hpolib: hyperparameter optimisation for deep networks, built for reproducible studies.

The pieces, top to bottom: a :class:`Space` of :class:`Int`, :class:`Float`
and :class:`Categorical` parameters; optimisers that ``ask()`` for
configurations and are ``tell()``-ed results; schedulers that decide budgets
and early stops (successive halving, ASHA, Hyperband, median stopping,
learning-curve matching, PBT); a :class:`Study` that runs an objective on an
executor and keeps every event in durable storage.

``import hpolib`` imports NumPy and nothing heavier: SciPy, scikit-learn,
pandas and PyTorch are imported where they are used (see
:mod:`hpolib.optimizers` for TPE, BOHB, the GP and CMA-ES).
"""

from typing import TYPE_CHECKING

from . import optimizers
from .direction import Direction, Incumbent
from .executors import DaskExecutor, Executor, ProcessExecutor, Reporter, SerialExecutor
from .optimizers import PSO, GeneticAlgorithm, GridSearch, Optimizer, RandomSearch, SpaceExhausted
from .schedulers import ASHA, PBT, Hyperband, LearningCurveMatching, MedianStopping, Scheduler, SuccessiveHalving
from .space import Categorical, Float, Grid, Int, Space
from .storage import InMemoryStorage, SQLiteStorage, Storage, StorageError, StudyLocked
from .study import Study
from .trial import Trial, TrialState, TrialStopped

if TYPE_CHECKING:
    from .optimizers import BOHB, CMAES, TPE, GPOptimizer

__version__ = "0.1.0"

__all__ = [
    "Space", "Int", "Float", "Categorical", "Grid",
    "Optimizer", "GridSearch", "RandomSearch", "TPE", "GPOptimizer", "PSO", "GeneticAlgorithm", "BOHB",
    "CMAES", "SpaceExhausted", "Scheduler", "SuccessiveHalving", "ASHA", "Hyperband", "MedianStopping",
    "LearningCurveMatching", "PBT",
    "Study", "Trial", "TrialState", "TrialStopped", "Reporter", "Direction", "Incumbent",
    "Storage", "InMemoryStorage", "SQLiteStorage", "StorageError", "StudyLocked",
    "Executor", "SerialExecutor", "ProcessExecutor", "DaskExecutor",
]


def __getattr__(name: str):
    if name in optimizers.LAZY:  # TPE, BOHB, GPOptimizer, CMAES: imported at first use
        return getattr(optimizers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
