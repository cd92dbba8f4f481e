"""hpolib: hyperparameter optimisation for deep networks, built for reproducible studies.

The pieces, top to bottom: a :class:`Space` of :class:`Int`, :class:`Float`
and :class:`Categorical` parameters; optimisers that ``ask()`` for
configurations and are ``tell()``-ed results; schedulers that decide budgets
and early stops (successive halving, ASHA, Hyperband, median stopping,
learning-curve matching, PBT); a :class:`Study` that runs an objective on an
executor and keeps every event in durable storage.
"""

from .direction import Direction, Incumbent
from .executors import DaskExecutor, Executor, ProcessExecutor, Reporter, SerialExecutor
from .optimizers import (BOHB, PSO, TPE, GeneticAlgorithm, GPOptimizer, GridSearch, Optimizer, RandomSearch,
                         SpaceExhausted)
from .schedulers import ASHA, PBT, Hyperband, LearningCurveMatching, MedianStopping, Scheduler, SuccessiveHalving
from .space import Categorical, Float, Grid, Int, Space
from .storage import InMemoryStorage, SQLiteStorage, Storage, StorageError, StudyLocked
from .study import Study
from .trial import Trial, TrialState, TrialStopped

__version__ = "0.1.0"

__all__ = [
    "Space", "Int", "Float", "Categorical", "Grid",
    "Optimizer", "GridSearch", "RandomSearch", "TPE", "GPOptimizer", "PSO", "GeneticAlgorithm", "BOHB",
    "SpaceExhausted", "Scheduler", "SuccessiveHalving", "ASHA", "Hyperband", "MedianStopping",
    "LearningCurveMatching", "PBT",
    "Study", "Trial", "TrialState", "TrialStopped", "Reporter", "Direction", "Incumbent",
    "Storage", "InMemoryStorage", "SQLiteStorage", "StorageError", "StudyLocked",
    "Executor", "SerialExecutor", "ProcessExecutor", "DaskExecutor",
]
