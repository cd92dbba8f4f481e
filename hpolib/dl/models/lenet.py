"""LeNet-5 (LeCun, Bottou, Bengio and Haffner, Proc. IEEE 1998), with searchable widths."""

from __future__ import annotations

import torch
from torch import nn

from ..._checks import check_whole

__all__ = ["LeNet5", "lenet5"]

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}


class LeNet5(nn.Module):
    """C1 conv 5x5 -> pool -> C3 conv 5x5 -> pool -> C5 conv 5x5 -> F6 dense -> output.

    On 32x32 inputs C5 sees 5x5 maps and yields 1x1, as in the paper; 28x28
    inputs (MNIST) are zero-padded by 2 in C1, the paper's own trick. Every
    C3 map sees every C1 map (the paper's sparse C3 table is not kept), so
    the default 6/16/120/84 network on 32x32 grey images with 10 classes has
    61,706 parameters.
    """

    def __init__(self, c1: int = 6, c3: int = 16, c5: int = 120, f6: int = 84, in_channels: int = 1,
                 num_classes: int = 10, input_size: int = 32, activation: str = "tanh", pool: str = "max"):
        super().__init__()
        for name, value in (("c1", c1), ("c3", c3), ("c5", c5), ("f6", f6), ("in_channels", in_channels),
                            ("num_classes", num_classes)):
            check_whole(name, value, 1)
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        if pool not in ("max", "avg"):
            raise ValueError(f"pool must be 'max' or 'avg', got {pool!r}")
        if not 28 <= input_size:
            raise ValueError(f"LeNet-5 needs inputs of at least 28 px, got input_size={input_size}")
        act, pooling = ACTIVATIONS[activation], nn.MaxPool2d if pool == "max" else nn.AvgPool2d
        padding = 2 if input_size < 32 else 0
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c1, 5, padding=padding), act(), pooling(2),
            nn.Conv2d(c1, c3, 5), act(), pooling(2),
            nn.Conv2d(c3, c5, 5), act(),
        )
        with torch.no_grad():
            flat = self.features(torch.zeros(1, in_channels, input_size, input_size)).numel()
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(flat, f6), act(), nn.Linear(f6, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def lenet5(c1: int = 6, c3: int = 16, c5: int = 120, f6: int = 84, in_channels: int = 1, num_classes: int = 10,
           input_size: int = 32, activation: str = "tanh", pool: str = "max") -> LeNet5:
    """Build LeNet-5 with ``c1``, ``c3``, ``c5`` conv maps and ``f6`` dense units (the LeNet study's space)."""
    return LeNet5(c1, c3, c5, f6, in_channels, num_classes, input_size, activation, pool)
