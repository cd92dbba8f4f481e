"""The arithmetic a network trains in: ``"float32"``, ``"float64"``, ``"bfloat16"`` or ``"auto"``.

- ``float32``: PyTorch's default.
- ``float64``: weights, inputs and every operation in double precision.
  Slower, but portable: CPUs with other vector units (AVX2, AVX-512, none)
  round float32 sums differently in the last bit, and a few dozen training
  steps amplify that into a different accuracy; in float64 such a difference
  stays far below anything a study prints. The nbval baselines (the
  ``smoke`` profile) train in it, so they pass on every machine.
- ``bfloat16``: mixed precision. Weights and optimiser state stay float32;
  matrix products and convolutions run in bfloat16 under
  :func:`torch.autocast`, on images and convolution weights stored
  channels-last (NHWC), the layout oneDNN's bfloat16 convolutions run
  fastest in (``benchmarks/training_throughput.py`` measures both layouts).
  Fast where the hardware has bfloat16 units (CPUs with AVX-512 BF16 or AMX,
  recent GPUs), slower where it only emulates them: asked for explicitly
  there, it still works, with a warning.
- ``auto``: ``bfloat16`` on a CPU that runs it natively, else ``float32``.
  On a GPU too ``auto`` means ``float32``: the networks of this study are
  small, a training step there is bound by the fixed cost of each kernel
  call rather than by arithmetic, and autocast's extra casts make bfloat16
  slower (``benchmarks/training_throughput.py --device cuda`` measures it).

Examples
--------
>>> p = resolve_precision("float64", "cpu")
>>> p.name, p.dtype
('float64', torch.float64)
>>> resolve_precision("auto", "cpu").name in ("float32", "bfloat16")
True
>>> resolve_precision("half", "cpu")
Traceback (most recent call last):
...
ValueError: precision must be one of float32, float64, bfloat16, auto; got 'half'
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import torch

__all__ = ["PRECISIONS", "Precision", "check_precision", "resolve_precision", "native_bfloat16", "default_dtype"]

PRECISIONS = ("float32", "float64", "bfloat16", "auto")


def native_bfloat16(device: str | torch.device = "cpu") -> bool:
    """Whether ``device`` computes in bfloat16 natively (CPU: AVX-512 BF16 or AMX; CUDA: compute capability 8+)."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported(including_emulation=False)
    if device.type == "cpu":
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    return False


@dataclass(frozen=True)
class Precision:
    """A resolved precision: the dtype of weights and inputs, and the autocast dtype (None: no autocast)."""

    name: str
    dtype: torch.dtype
    autocast: torch.dtype | None
    device: torch.device
    channels_last: bool = False  # images and convolution weights stored NHWC

    @classmethod
    def of(cls, model: torch.nn.Module, device: str | torch.device) -> Precision:
        """The precision ``model``'s weights are in, without autocast."""
        dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), torch.float32)
        return cls(str(dtype).removeprefix("torch."), dtype, None, torch.device(device))

    def model(self, model: torch.nn.Module) -> torch.nn.Module:
        """``model`` on the device, its floating-point weights in this precision's dtype and layout (in place)."""
        model.to(self.device, self.dtype)
        return model.to(memory_format=torch.channels_last) if self.channels_last else model

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` on the device in this precision's dtype and layout."""
        x = x.to(self.device, self.dtype, non_blocking=True)
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last and x.ndim == 4 else x

    def context(self):
        """The context forward passes run in: autocast for ``bfloat16``, nothing otherwise."""
        if self.autocast is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.autocast)


def check_precision(precision: str) -> str:
    """``precision`` if it is one of :data:`PRECISIONS`, else a ValueError naming them."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}")
    return precision


def resolve_precision(precision: str | Precision, device: str | torch.device) -> Precision:
    """The :class:`Precision` that ``precision`` means on ``device``."""
    if isinstance(precision, Precision):
        return precision
    check_precision(precision)
    device = torch.device(device)
    native = native_bfloat16(device)
    if precision == "auto":
        precision = "bfloat16" if native and device.type == "cpu" else "float32"
    elif precision == "bfloat16" and not native:
        warnings.warn(f"{device.type} has no native bfloat16 arithmetic: bfloat16 autocast will run, but "
                      "slower than float32 (precision='auto' picks float32 here)", stacklevel=3)
    if precision == "bfloat16" and device.type not in ("cpu", "cuda"):
        raise ValueError(f"precision 'bfloat16' needs a CPU or CUDA device, got {device.type}")
    if precision == "float64" and device.type == "mps":
        raise ValueError("precision 'float64' is not available on mps: use 'float32' or device='cpu'")
    mixed = precision == "bfloat16"
    return Precision(precision, _weights(precision), torch.bfloat16 if mixed else None, device, channels_last=mixed)


def _weights(precision: str) -> torch.dtype:
    """The dtype of the weights and inputs: float64 for ``"float64"``, float32 for every other precision."""
    return torch.float64 if check_precision(precision) == "float64" else torch.float32


@contextlib.contextmanager
def default_dtype(precision: str | Precision) -> Iterator[torch.dtype]:
    """Within it, modules are built (and so initialised) in the dtype of ``precision``'s weights.

    A ``float64`` network must also be initialised in float64, not built in
    float32 and converted: PyTorch draws float32 random weights with vectorised
    kernels that round differently on CPUs with other vector units.

    >>> from torch import nn
    >>> with default_dtype("float64"):
    ...     layer = nn.Linear(2, 2)
    >>> layer.weight.dtype, torch.get_default_dtype()
    (torch.float64, torch.float32)
    """
    dtype = precision.dtype if isinstance(precision, Precision) else _weights(precision)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield dtype
    finally:
        torch.set_default_dtype(previous)
