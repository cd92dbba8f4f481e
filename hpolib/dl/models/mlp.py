"""Dense networks: the MNIST studies' one-hidden-layer net and PBT's FC-sigmoid-FC-sigmoid-FC."""

from __future__ import annotations

from torch import nn

from ..._checks import check_in, check_whole
from .lenet import ACTIVATIONS

__all__ = ["mlp"]


def mlp(in_features: int = 784, num_classes: int = 10, hidden_layers: int = 1, width: int = 128,
        activation: str = "relu", dropout: float = 0.0) -> nn.Sequential:
    """Flatten, then ``hidden_layers`` x (Linear(width) -> activation -> dropout), then Linear(num_classes).

    ``mlp(hidden_layers=2, activation="sigmoid")`` is the PBT study's
    FC-sigmoid-FC-sigmoid-FC network.
    """
    for name, value, low in (("in_features", in_features, 1), ("num_classes", num_classes, 1),
                             ("hidden_layers", hidden_layers, 0), ("width", width, 1)):
        check_whole(name, value, low)
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    check_in("dropout", dropout, "[0, 1)")
    layers: list[nn.Module]
    layers, features = [nn.Flatten()], in_features
    for _ in range(hidden_layers):
        layers += [nn.Linear(features, width), ACTIVATIONS[activation]()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        features = width
    layers.append(nn.Linear(features, num_classes))
    return nn.Sequential(*layers)
