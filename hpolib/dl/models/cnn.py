"""A configurable CNN: the CIFAR-10 network of the LCM study and the network of the IIS study.

Conv layers (filters, kernel size, stride, dropout each, "same" padding,
optional 2x2 max-pooling after any of them), then dense layers, then the
output layer. The LCM study's CIFAR-10 network, the "four-conv" network of
Keras' CIFAR-10 example, is ``cnn(filters=(32, 32, 64, 64), pool=(False,
True, False, True), dropouts=(0, 0.25, 0, 0.25), dense=(512,),
dense_dropout=0.5)``. A stack too deep for the input (its feature maps
would shrink below 1 px) is an error that says how deep the input allows:
Hinz et al. (2018) drop such configurations, and a study should record them
as failed trials rather than silently change the network.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ..._checks import check_in, check_whole
from .lenet import ACTIVATIONS

__all__ = ["CNN", "cnn", "cnn_from_layers", "max_conv_layers"]


def _per_layer(value, n: int, name: str) -> list:
    values = list(value) if isinstance(value, Sequence) and not isinstance(value, str) else [value] * n
    if len(values) != n:
        raise ValueError(f"{name} needs one value per conv layer ({n}), got {len(values)}")
    return values


def max_conv_layers(input_size: int) -> int:
    """How many conv layers with stride 1, each followed by 2x2 max-pooling, fit ``input_size`` px inputs."""
    return max(0, int(input_size).bit_length() - 1)


class CNN(nn.Module):
    def __init__(self, in_channels: int, num_classes: int, input_size: int, filters: Sequence[int],
                 kernel_sizes: Sequence[int] | int = 3, strides: Sequence[int] | int = 1,
                 dropouts: Sequence[float] | float = 0.0, pool: Sequence[bool] | bool = True,
                 dense: Sequence[int] = (128,), dense_dropout: float = 0.0, activation: str = "relu"):
        super().__init__()
        filters = list(filters)
        n = len(filters)
        if n < 1:
            raise ValueError("filters needs at least one conv layer")
        kernel_sizes = _per_layer(kernel_sizes, n, "kernel_sizes")
        strides = _per_layer(strides, n, "strides")
        dropouts = _per_layer(dropouts, n, "dropouts")
        pools = _per_layer(pool, n, "pool")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        for name, values in (("filters", filters), ("kernel_sizes", kernel_sizes), ("strides", strides),
                             ("dense", list(dense))):
            for i, v in enumerate(values):
                check_whole(f"{name}[{i}]", v)
        for i, d in enumerate(dropouts):
            check_in(f"dropouts[{i}]", d, "[0, 1)")
        check_in("dense_dropout", dense_dropout, "[0, 1)")
        if any(not isinstance(p, bool) for p in pools):
            raise ValueError(f"pool must be True, False or one of them per conv layer, got {pool!r}")
        size, fitting = input_size, 0
        for s, p in zip(strides, pools):  # the side of the feature maps after each layer
            size = -(-size // s) // (2 if p else 1)
            if size < 1:
                raise ValueError(f"{n} conv layers are too deep for {input_size} px inputs: at most {fitting} fit "
                                 f"(with these strides and this pooling)")
            fitting += 1
        layers, channels = [], in_channels
        for width, k, s, d, p in zip(filters, kernel_sizes, strides, dropouts, pools):
            layers += [nn.Conv2d(channels, width, k, stride=s, padding=k // 2), ACTIVATIONS[activation]()]
            if p:
                layers.append(nn.MaxPool2d(2))
            if d:
                layers.append(nn.Dropout(d))
            channels = width
        self.features = nn.Sequential(*layers)
        with torch.no_grad():
            features = self.features(torch.zeros(1, in_channels, input_size, input_size)).numel()
        head: list[nn.Module] = [nn.Flatten()]
        for width in dense:
            head += [nn.Linear(features, width), ACTIVATIONS[activation]()]
            if dense_dropout:
                head.append(nn.Dropout(dense_dropout))
            features = width
        head.append(nn.Linear(features, num_classes))
        self.classifier = nn.Sequential(*head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def cnn(in_channels: int = 3, num_classes: int = 10, input_size: int = 32, filters: Sequence[int] = (32, 64),
        kernel_sizes: Sequence[int] | int = 3, strides: Sequence[int] | int = 1,
        dropouts: Sequence[float] | float = 0.0, pool: Sequence[bool] | bool = True, dense: Sequence[int] = (128,),
        dense_dropout: float = 0.0, activation: str = "relu") -> CNN:
    """Build a CNN: one conv layer per entry of ``filters``, then one dense layer per entry of ``dense``.

    ``kernel_sizes``, ``strides``, ``dropouts`` and ``pool`` (2x2 max-pooling
    after the layer) take one value for every layer or one per layer.

    Examples
    --------
    >>> net = cnn(3, 10, 32, filters=(32, 32, 64, 64), pool=(False, True, False, True))
    >>> net(torch.zeros(2, 3, 32, 32)).shape
    torch.Size([2, 10])
    >>> sum(isinstance(m, nn.MaxPool2d) for m in net.features)
    2
    """
    return CNN(in_channels, num_classes, input_size, filters, kernel_sizes, strides, dropouts, pool, dense,
               dense_dropout, activation)


def cnn_from_layers(in_channels: int = 3, num_classes: int = 10, input_size: int = 32, conv_layers: int = 2,
                    dense_layers: int = 1, dense_units: int = 128, activation: str = "relu", **layers) -> CNN:
    """Build a CNN from a flat configuration, as a search space writes one (the IIS study's network).

    Conv layer ``i`` (1-based) takes ``filters_i`` filters (default 32) of size
    ``kernel_i`` (default 3); settings of layers beyond ``conv_layers`` are
    ignored, so one flat space holds networks of every depth. Then
    ``dense_layers`` dense layers (0 or more) of ``dense_units`` units.

    Examples
    --------
    >>> net = cnn_from_layers(1, 10, 16, conv_layers=2, filters_1=8, kernel_1=5, filters_2=16, filters_3=99)
    >>> [m.out_channels for m in net.features if isinstance(m, nn.Conv2d)]
    [8, 16]
    """
    for key in layers:
        name, _, index = key.rpartition("_")
        if name not in ("filters", "kernel") or not index.isdigit() or int(index) < 1:
            raise ValueError(f"unknown setting {key!r}: per-layer settings are filters_<i> and kernel_<i>, i >= 1")
    conv_layers, dense_layers = check_whole("conv_layers", conv_layers, 1), check_whole("dense_layers", dense_layers, 0)
    filters = [layers.get(f"filters_{i}", 32) for i in range(1, conv_layers + 1)]
    kernels = [layers.get(f"kernel_{i}", 3) for i in range(1, conv_layers + 1)]
    return CNN(in_channels, num_classes, input_size, filters, kernels, dense=[dense_units] * dense_layers,
               activation=activation)
