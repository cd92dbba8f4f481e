"""Learning-rate schedules found while training: AutoLRS."""

from .autolrs import AutoLRS, AutoLRSResult, Trainer, forecast_loss

__all__ = ["AutoLRS", "AutoLRSResult", "Trainer", "forecast_loss"]
