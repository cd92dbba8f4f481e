"""Analysis of finished studies: fANOVA hyperparameter importance; learning-rate schedules compared."""

from .fanova import Fanova, fanova

__all__ = ["Fanova", "fanova"]
