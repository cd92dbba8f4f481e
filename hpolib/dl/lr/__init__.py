"""Learning-rate schedules found while training: AutoLRS, and schedules run side by side (ScheduleRuns)."""

from .autolrs import AutoLRS, LRRun, Trainer, forecast_loss, run_schedule
from .comparison import ScheduleRuns

__all__ = ["AutoLRS", "LRRun", "Trainer", "forecast_loss", "run_schedule", "ScheduleRuns"]
