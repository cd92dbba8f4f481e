"""Experiments made of several studies, and what reads them: methods compared over seeds (compare), increasing
image sizes (iis), fANOVA importance, anytime curves, paired tests, learning-rate schedules compared."""

from .fanova import Fanova, fanova

__all__ = ["Fanova", "fanova"]
