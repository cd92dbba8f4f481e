"""Training throughput on this CPU, side by side in one run.

(a) LeNet-5 for one epoch on CIFAR-10-shaped data: the plain PyTorch recipe
    a user would write (an image dataset read through ``transforms.ToTensor``
    and a ``DataLoader`` with batch 64) against ``hpolib.training.train`` on
    the same images held as tensors, same batch size.
(b) K = 8 MLPs (784-100-10) on MNIST: trained one after the other with
    ``hpolib.training.train`` against one batched ``train_population`` pass
    (each path warmed up once on a few images first: ``torch.func`` spends
    seconds on imports at its first call).

The CIFAR-10 images are read from ``$HPOLIB_DATA/cifar10/train`` (image
folders, the layout our copy comes in; torchvision's ``CIFAR10`` class reads
only the original pickles, so the recipe uses ``ImageFolder``, which does the
same per-sample work); without them, random CIFAR-shaped PNGs are written to
a temporary folder. MNIST comes from ``$HPOLIB_DATA`` when present, else the
bundled 5,000-image sample. Prints a table and writes
``benchmarks/results/training_throughput.json``.

    python benchmarks/training_throughput.py [--images 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from PIL import Image
from torch.utils.data import DataLoader, Subset

from hpolib import data as datasets
from hpolib.models import lenet5, mlp
from hpolib.population import train_population
from hpolib.training import train

RESULTS = Path(__file__).parent / "results"


def cifar_folder(n_images: int, scratch: Path) -> Path:
    real = Path(os.environ.get("HPOLIB_DATA", "data")) / "cifar10"
    if (real / "train").is_dir() and (real / "test").is_dir():
        return real
    generator = torch.Generator().manual_seed(0)
    for split, n in (("train", n_images), ("test", 100)):
        for i in range(n):
            folder = scratch / "cifar10" / split / f"class{i % 10}"
            folder.mkdir(parents=True, exist_ok=True)
            image = torch.randint(0, 256, (32, 32, 3), dtype=torch.uint8, generator=generator)
            Image.fromarray(image.numpy()).save(folder / f"{i}.png")
    return scratch / "cifar10"


def plain_recipe(folder: Path, n_images: int) -> float:
    """Samples per second of the usual ImageFolder + ToTensor + DataLoader(batch 64) loop."""
    dataset = torchvision.datasets.ImageFolder(str(folder / "train"), transform=torchvision.transforms.ToTensor())
    dataset = Subset(dataset, torch.randperm(len(dataset), generator=torch.Generator().manual_seed(0))[:n_images])
    loader = DataLoader(dataset, batch_size=64, shuffle=True)
    torch.manual_seed(0)
    model = lenet5(in_channels=3, input_size=32)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    start, seen = time.perf_counter(), 0
    for x, y in loader:
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
        seen += len(y)
    return seen / (time.perf_counter() - start)


def hpolib_loop(root: Path, n_images: int) -> float:
    data = datasets.load("cifar10", root=root, subset=n_images + n_images // 9, val_fraction=0.1, download=False)
    torch.manual_seed(0)
    model = lenet5(in_channels=3, input_size=32)
    result = train(model, data, 1, lr=0.01, momentum=0.9, batch_size=64)
    return len(data.train) / (result.history[0]["seconds"])


def mnist() -> datasets.Dataset:
    try:
        return datasets.load("mnist", download=False, subset=10_000)
    except datasets.DatasetNotFound:
        return datasets.load("mnist5k")


def one_by_one(data, members, settings, epochs) -> float:
    start = time.perf_counter()
    for model, hp in zip(members, settings):
        train(model, data, epochs, batch_size=64, **hp)
    return len(members) * epochs / (time.perf_counter() - start)


def batched(data, members, settings, epochs) -> float:
    start = time.perf_counter()
    train_population(members, data, epochs, settings, batch_size=64)
    return len(members) * epochs / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10_000, help="CIFAR-10 training images for (a)")
    parser.add_argument("--members", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats of (b); the median is reported")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = cifar_folder(args.images, Path(scratch))
        plain = plain_recipe(folder, args.images)
        ours = hpolib_loop(folder.parent, args.images)
    rows.append({"task": "(a) LeNet-5, CIFAR-10, 1 epoch", "baseline": "ImageFolder+ToTensor+DataLoader",
                 "baseline_rate": plain, "hpolib_rate": ours, "unit": "samples/s", "speedup": ours / plain})
    data = mnist()
    settings = [{"lr": 0.01 * (k + 1), "momentum": 0.9} for k in range(args.members)]

    def members():
        out = []
        for k in range(args.members):
            torch.manual_seed(k)
            out.append(mlp(784, 10, hidden_layers=1, width=100))
        return out

    # Warm both paths up first (torch.func pulls in a few seconds of imports on its first call).
    tiny = datasets.Dataset(data.name, datasets.Split(data.train.x[:256], data.train.y[:256]), data.val, data.test,
                            data.classes)
    one_by_one(tiny, members()[:2], settings[:2], 1)
    batched(tiny, members()[:2], settings[:2], 1)
    rates = [(one_by_one(data, members(), settings, args.epochs), batched(data, members(), settings, args.epochs))
             for _ in range(args.repeats)]  # interleaved, so a slow spell of the machine hits both
    alone, together = (float(np.median(r)) for r in zip(*rates))
    rows.append({"task": f"(b) {args.members} MLPs 784-100-10, {data.name}, {len(data.train)} images",
                 "baseline": "train() one by one", "baseline_rate": alone, "hpolib_rate": together,
                 "unit": "member-epochs/s", "speedup": float(np.median([b / a for a, b in rates])),
                 "speedups": [b / a for a, b in rates]})
    print(f"{'task':50} {'baseline':>12} {'hpolib':>12} {'unit':>16} {'speedup':>8}")
    for r in rows:
        print(f"{r['task']:50} {r['baseline_rate']:12.1f} {r['hpolib_rate']:12.1f} {r['unit']:>16} "
              f"{r['speedup']:7.2f}x")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "training_throughput.json"
    out.write_text(json.dumps({"python": platform.python_version(), "torch": torch.__version__,
                               "threads": torch.get_num_threads(), "rows": rows}, indent=2) + "\n")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
