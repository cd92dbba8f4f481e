"""VGG for 32x32 images (Simonyan and Zisserman, ICLR 2015), the CIFAR variant AutoLRS trains.

Five stages of 3x3 convolutions, each ending in 2x2 max-pooling, bring a
32x32 image to 1x1; one linear layer classifies. ``width_multiplier``
scales every stage's channels, so a CPU-sized VGG keeps the shape of VGG-16.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from ..._checks import check_in

__all__ = ["VGG", "vgg", "CONFIGS"]

CONFIGS: dict[int, list[int | Literal["M"]]] = {
    11: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    13: [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    16: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    19: [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


class VGG(nn.Module):
    def __init__(self, depth: int = 16, width_multiplier: float = 1.0, batch_norm: bool = True,
                 num_classes: int = 10, in_channels: int = 3):
        super().__init__()
        if depth not in CONFIGS:
            raise ValueError(f"depth must be one of {sorted(CONFIGS)}, got {depth!r}")
        check_in("width_multiplier", width_multiplier, "(0, 4]")
        layers: list[nn.Module]
        layers, channels = [], in_channels
        for item in CONFIGS[depth]:
            if item == "M":
                layers.append(nn.MaxPool2d(2))
                continue
            width = max(1, round(item * width_multiplier))
            layers.append(nn.Conv2d(channels, width, 3, padding=1, bias=not batch_norm))
            layers += [nn.BatchNorm2d(width), nn.ReLU(inplace=True)] if batch_norm else [nn.ReLU(inplace=True)]
            channels = width
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(channels, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def vgg(depth: int = 16, width_multiplier: float = 1.0, batch_norm: bool = True, num_classes: int = 10,
        in_channels: int = 3) -> VGG:
    """Build VGG-``depth`` (11, 13, 16 or 19) for 32x32 inputs."""
    return VGG(depth, width_multiplier, batch_norm, num_classes, in_channels)
