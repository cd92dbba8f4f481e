"""Analysis of finished studies: fANOVA hyperparameter importance."""

from .fanova import Fanova, fanova

__all__ = ["Fanova", "fanova"]
