"""The study and book harness: profiles of each notebook's parameters, the papermill runner, provenance, the
claims ledger, tables for the notebooks, and the Jupyter Book build (``python -m hpolib run`` and ``book``)."""
