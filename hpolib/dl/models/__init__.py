"""Models as plain ``nn.Module``s with builder functions, like ``torchvision.models``."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from .cnn import CNN, cnn, cnn_from_layers, max_conv_layers
from .lenet import LeNet5, lenet5
from .mlp import mlp
from .vgg import VGG, vgg

MODELS: dict[str, Callable[..., nn.Module]] = {"lenet5": lenet5, "vgg": vgg, "mlp": mlp, "cnn": cnn,
                                               "cnn_from_layers": cnn_from_layers}

__all__ = ["lenet5", "LeNet5", "vgg", "VGG", "mlp", "cnn", "cnn_from_layers", "CNN", "max_conv_layers", "MODELS"]
