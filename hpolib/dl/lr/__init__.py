"""Learning-rate schedules found while training: AutoLRS."""

from .autolrs import AutoLRS, LRRun, Trainer, forecast_loss, run_schedule

__all__ = ["AutoLRS", "LRRun", "Trainer", "forecast_loss", "run_schedule"]
