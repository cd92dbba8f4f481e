"""Schedulers: which trial runs at which budget, which running trial stops, which copies which.

One algorithm per module, all behind :class:`Scheduler`'s four calls.
"""

from .asha import ASHA
from .base import Launch, Scheduler
from .dehb import DEHB
from .hyperband import Hyperband
from .lcm import LearningCurveMatching
from .median import MedianStopping
from .pbt import PBT
from .sha import SuccessiveHalving

__all__ = ["Scheduler", "Launch", "SuccessiveHalving", "ASHA", "Hyperband", "MedianStopping",
           "LearningCurveMatching", "PBT", "DEHB"]
