"""The deep-learning layer: datasets, models, the training loop and its arithmetic, objectives that train a
network for a study, population training for PBT, and AutoLRS.

It sits on the HPO core (``hpolib``'s top level) and never the other way round: the core runs any objective.
"""
