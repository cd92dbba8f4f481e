"""The book's chapters as library code: each chapter's experiments and analysis, where tests reach them.

A notebook holds narrative, parameters, figures and calls; what it computes lives here, one module per
chapter (:mod:`hpolib.studies.lenet` ...).
"""
