"""Training throughput on this CPU (or a GPU, part c), side by side in one run.

(a) LeNet-5 for one epoch on CIFAR-10-shaped data: the plain PyTorch recipe
    a user would write (an image dataset read through ``transforms.ToTensor``
    and a ``DataLoader`` with batch 64) against ``hpolib.dl.training.train`` on
    the same images held as tensors, same batch size.
(b) K = 8 MLPs (784-100-10) on MNIST: trained one after the other with
    ``hpolib.dl.training.train`` against one batched ``train_population`` pass
    (each path warmed up once on a few images first: ``torch.func`` spends
    seconds on imports at its first call).

(c) Precision and memory layout: ``train`` on LeNet-5 26/19/40/324 (batch
    64), VGG-16 x0.125 and x0.25 (batch 128) on CIFAR-shaped tensors in
    float32 and bfloat16 autocast, each contiguous and channels_last,
    repeated interleaved, median reported; with each network's share of the
    machine's own peak (a large ``torch.mm`` in float32 and in bfloat16; the
    FLOPs of a training step counted by ``torch.utils.flop_counter``).
    With ``--device cuda`` only this part runs, on the GPU, with full-width
    VGG-16 (the AutoLRS ``paper`` profile's network) added, and the networks
    of the LCM and PBT and the IIS chapters at their ``full`` and ``paper``
    profiles, named as ``hpolib.book.cost`` names them (LCM's MLP and the
    four-conv network at the middle of the searched batch sizes, PBT's MLP at
    its batch 32, the IIS network at the middle of its space at each
    resolution); the results go to ``training_throughput_cuda.json``.
(d) Accuracy parity: LeNet-5 26/19/40/324 for 5 epochs on a CIFAR-10 subset,
    float32 against bfloat16, three seeds each.
(e) Trial-level parallelism: a study of LeNet-5 and of MLP trials run one at
    a time with two threads against two at a time with one thread each (the
    process executor).

The CIFAR-10 images are read from ``$HPOLIB_DATA/cifar10/train`` (image
folders, the layout our copy comes in; torchvision's ``CIFAR10`` class reads
only the original pickles, so the recipe uses ``ImageFolder``, which does the
same per-sample work); without them, random CIFAR-shaped PNGs are written to
a temporary folder. MNIST comes from ``$HPOLIB_DATA`` when present, else the
bundled 5,000-image sample. Prints a table and writes
``benchmarks/results/training_throughput.json``.

    python benchmarks/training_throughput.py [--images 10000] [--parts a,b,c,d,e]
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
import pandas as pd
import torch
import torch.nn.functional as F
import torchvision
from PIL import Image
from torch.utils.data import DataLoader, Subset

from hpolib import Float, Int, ProcessExecutor, SerialExecutor, Space, Study
from hpolib.book.cost import iis_network, iis_network_name, lcm_pbt_networks
from hpolib.book.profiles import resolve
from hpolib.book.provenance import cpu_name
from hpolib.dl import data as datasets
from hpolib.dl.models import cnn, cnn_from_layers, lenet5, mlp, vgg
from hpolib.dl.objectives import image_classifier
from hpolib.dl.population import train_population
from hpolib.dl.precision import Precision, native_bfloat16
from hpolib.dl.training import evaluate, train
from hpolib.studies import lcm_pbt

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


def loader_and_population(args) -> list[dict]:
    """Parts (a) and (b)."""
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
    return rows


# ---------------------------------------------------------------------------------- (c) precision and layout

NETWORKS = {  # name: (builder, batch size, input (channels, side))
    "LeNet-5 26/19/40/324": (lambda: lenet5(26, 19, 40, 324, in_channels=3, input_size=32), 64, (3, 32)),
    "VGG-16 x0.125": (lambda: vgg(16, 0.125), 128, (3, 32)),
    "VGG-16 x0.25": (lambda: vgg(16, 0.25), 128, (3, 32)),
}


def chapter_networks(profile: str) -> dict:
    """The LCM and PBT chapter's networks and the IIS chapter's (at each resolution) at ``profile``, by the names
    ``hpolib.book.cost`` counts their images under."""
    s = resolve("lcm_pbt", profile, {})
    lcm, pbt, four_conv = lcm_pbt_networks(s)
    batch = lcm_pbt.SPACE["batch_size"].from_unit(0.5)  # the middle of the batch sizes LCM searches
    pbt_net = {k: v for k, v in lcm_pbt.PBT_NETWORK.items() if k in ("hidden_layers", "activation")}
    found = {lcm: (lambda w=s["width"]: mlp(784, 10, hidden_layers=1, width=w), batch, (1, 28)),
             pbt: (lambda w=s["width"]: mlp(784, 10, width=w, **pbt_net), lcm_pbt.PBT_NETWORK["batch_size"], (1, 28)),
             four_conv: (lambda c=s["cnn_width"]: cnn(3, 10, 32, **lcm_pbt.four_conv(c)), batch, (3, 32))}
    s = resolve("iis_fanova", profile, {})
    net, channels = iis_network(s), 1 if s["grayscale"] else 3
    layers = {k: v for k, v in net.items() if k.startswith(("filters_", "kernel_"))
              or k in ("conv_layers", "dense_layers", "dense_units")}
    for px in s["resolutions"]:
        found[iis_network_name(s, px)] = (lambda px=px: cnn_from_layers(channels, 10, px, **layers), net["batch_size"],
                                          (channels, px))
    return found


GPU_NETWORKS = {"VGG-16": (lambda: vgg(16, 1.0), 128, (3, 32)),  # timed on a GPU only
                **chapter_networks("full"), **chapter_networks("paper")}
ALL_NETWORKS = {**NETWORKS, **GPU_NETWORKS}


def variants(device: torch.device) -> dict[str, Precision]:
    """float32 and bfloat16 autocast on ``device``, each contiguous and channels_last."""
    return {f"{name}{' channels_last' if last else ''}":
            Precision(name, torch.float32, None if name == "float32" else torch.bfloat16, device, channels_last=last)
            for name in ("float32", "bfloat16") for last in (False, True)}


def random_images(n: int, seed: int = 0, shape: tuple[int, int] = (3, 32)) -> datasets.Dataset:
    """``n`` training images (and 64 for validation) of ``shape`` (channels, side; CIFAR's by default) of random
    pixels and labels."""
    g = torch.Generator().manual_seed(seed)
    channels, side = shape
    split = lambda m: datasets.Split(torch.randn(m, channels, side, side, generator=g),  # noqa: E731
                                     torch.randint(0, 10, (m,), generator=g))
    return datasets.Dataset("random", split(n), split(64), split(64), [str(c) for c in range(10)])


def train_rate(network: str, precision: Precision, images: int) -> float:
    """Training images per second of one epoch of ``train`` (its 64-image validation pass included)."""
    build, batch, shape = ALL_NETWORKS[network]
    torch.manual_seed(0)
    result = train(build(), random_images(images, shape=shape), 1, lr=0.01, momentum=0.9, batch_size=batch,
                   precision=precision, device=precision.device)
    return images / result.history[0]["seconds"]


def step_flops(network: str) -> float:
    """Floating-point operations of one training step (forward and backward) per image."""
    from torch.utils.flop_counter import FlopCounterMode

    build, batch, (channels, side) = ALL_NETWORKS[network]
    model, x, y = build(), torch.randn(batch, channels, side, side), torch.randint(0, 10, (batch,))
    with FlopCounterMode(display=False) as counter:
        F.cross_entropy(model(x), y).backward()
    return counter.get_total_flops() / batch


def peak_flops(dtype: torch.dtype, device: torch.device, n: int = 2048, repeats: int = 5) -> float:
    """FLOP/s of the best of ``repeats`` n x n matrix products in ``dtype`` (n = 8192 on a GPU)."""
    n = 8192 if device.type == "cuda" else n
    a, b = torch.randn(n, n, device=device).to(dtype), torch.randn(n, n, device=device).to(dtype)
    torch.mm(a, b)
    best = min(_timed(lambda: torch.mm(a, b), device) for _ in range(repeats))
    return 2 * n ** 3 / best


def _timed(action, device: torch.device | None = None) -> float:
    started = time.perf_counter()
    action()
    if device is not None and device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - started


def precision_and_layout(args) -> list[dict]:
    """Part (c): one row per network and variant, median of interleaved repeats, with the share of the peak."""
    device = torch.device(args.device)
    kinds = variants(device)
    peaks = {"float32": peak_flops(torch.float32, device), "bfloat16": peak_flops(torch.bfloat16, device)}
    print(f"peak (torch.mm): float32 {peaks['float32'] / 1e9:.0f} GFLOP/s, "
          f"bfloat16 {peaks['bfloat16'] / 1e9:.0f} GFLOP/s; native bfloat16: {native_bfloat16(device)}")
    networks = ALL_NETWORKS if device.type == "cuda" else NETWORKS
    rows = []
    for network in networks:
        images = args.precision_images // (4 if network.startswith("VGG") and device.type == "cpu" else 1)
        for precision in kinds.values():  # warm-up: first calls of a kernel plan and allocate
            train_rate(network, precision, networks[network][1] * 4)
        rates = {v: [] for v in kinds}
        for _ in range(args.repeats):
            for variant, precision in kinds.items():
                rates[variant].append(train_rate(network, precision, images))
        flops = step_flops(network)
        base = float(np.median(rates["float32"]))
        for variant, measured in rates.items():
            rate = float(np.median(measured))
            peak = peaks[variant.split()[0]]
            rows.append({"network": network, "variant": variant, "images_per_s": rate, "rates": measured,
                         "speedup": rate / base, "gflop_per_image": flops / 1e9,
                         "peak_share": rate * flops / peak, "peak_gflops": peak / 1e9})
    table = pd.DataFrame(rows)
    print(table.pivot(index="network", columns="variant", values="images_per_s").round(0).to_string())
    print(table.pivot(index="network", columns="variant", values="speedup").round(2).to_string())
    print(table.pivot(index="network", columns="variant", values="peak_share").round(3).to_string())
    return rows



# ------------------------------------------------------------------------------------------ (d) parity

def parity(args) -> dict:
    """Part (d): test accuracy after 5 epochs in float32 and bfloat16, three seeds each, on real CIFAR-10."""
    try:
        data = datasets.load("cifar10", subset=args.parity_images, download=False)
    except datasets.DatasetNotFound:
        print("(d) skipped: no CIFAR-10 under $HPOLIB_DATA")
        return {}
    accuracy = {"float32": [], "bfloat16": []}
    for seed in range(3):
        for variant in accuracy:
            torch.manual_seed(seed)
            model = lenet5(26, 19, 40, 324, in_channels=3, input_size=32)
            train(model, data, 5, lr=0.02, momentum=0.9, batch_size=64, seed=seed, precision=variant)
            accuracy[variant].append(evaluate(model, data.test, precision=variant)[1])
    spread = {v: max(a) - min(a) for v, a in accuracy.items()}
    gap = float(np.mean(accuracy["bfloat16"]) - np.mean(accuracy["float32"]))
    result = {"data": f"cifar10, {len(data.train)} training images, {len(data.test)} test", "epochs": 5,
              "test_accuracy": accuracy, "spread": spread, "mean_gap": gap,
              "within_spread": abs(gap) <= max(spread.values())}
    print(f"(d) {result['data']}: test accuracy float32 {accuracy['float32']}, bfloat16 {accuracy['bfloat16']}; "
          f"gap of means {100 * gap:+.2f} pp, spreads {100 * spread['float32']:.2f} / "
          f"{100 * spread['bfloat16']:.2f} pp: {'within' if result['within_spread'] else 'outside'} the spread")
    return result


# ---------------------------------------------------------------------------- (e) trial-level parallelism

def parallelism(args) -> list[dict]:
    """Part (e): trials per second of a study run one at a time (two threads) and two at a time (one each)."""
    space = Space({"lr": Float(0.01, 0.1, log=True), "batch_size": Int(32, 128, log=True)})
    objectives = {  # task: (objective, trials); the executor's start (worker processes) is part of the time
        "LeNet-5 26/19/40/324, mnist5k 32 px": (image_classifier(
            "lenet5", "mnist5k", fixed={"c1": 26, "c3": 19, "c5": 40, "f6": 324}, data_options={"size": 32},
            max_epochs=args.trial_epochs), args.trials),
        "MLP 784-100-10, mnist5k": (image_classifier("mlp", "mnist5k", fixed={"width": 100, "hidden_layers": 1},
                                                     max_epochs=args.trial_epochs), 10 * args.trials),
    }
    rows = []
    for task, (objective, n_trials) in objectives.items():
        rates = {"one at a time, 2 threads": [], "two at a time, 1 thread each": []}
        for _ in range(args.repeats):
            for label, executor in zip(rates, (SerialExecutor, lambda: ProcessExecutor(2))):
                study = Study(space, storage=None, seed=0, executor=executor())
                started = time.perf_counter()
                study.optimize(objective, n_trials=n_trials, trial_budget=args.trial_epochs, progress=False)
                rates[label].append(n_trials / (time.perf_counter() - started))
        serial, parallel = (float(np.median(r)) for r in rates.values())
        rows.append({"task": task, "trials": n_trials, "epochs": args.trial_epochs,
                     "serial_trials_per_s": serial, "parallel_trials_per_s": parallel,
                     "parallel_speedup": parallel / serial, "rates": rates})
        print(f"(e) {task}: {serial:.3f} trials/s one at a time, {parallel:.3f} two at a time "
              f"({parallel / serial:.2f}x)")
    return rows


PARTS = {"a": "rows", "c": "precision", "d": "parity", "e": "parallelism"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="a,c,d,e", help="which of a (with b), c, d, e to run (default all)")
    parser.add_argument("--images", type=int, default=10_000, help="CIFAR-10 training images for (a)")
    parser.add_argument("--members", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats; the median is reported")
    parser.add_argument("--precision-images", type=int, default=6400, help="images per LeNet epoch in (c)")
    parser.add_argument("--parity-images", type=int, default=10_000, help="CIFAR-10 subset of (d)")
    parser.add_argument("--trials", type=int, default=16, help="LeNet trials per study in (e) (MLP: ten times)")
    parser.add_argument("--trial-epochs", type=int, default=2)
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda: part (c) alone, on that device")
    args = parser.parse_args()
    if args.device != "cpu":
        if not torch.cuda.is_available() or torch.device(args.device).type != "cuda":
            parser.error(f"--device takes cpu or cuda (a CUDA GPU must be present); got {args.device!r}")
        args.parts = "c"
    parts = [p.strip() for p in args.parts.split(",")]
    unknown = sorted(set(parts) - set("abcde"))
    if unknown:
        parser.error(f"--parts takes a, b, c, d, e; got {unknown}")
    out = RESULTS / ("training_throughput.json" if args.device == "cpu" else "training_throughput_cuda.json")
    results = json.loads(out.read_text()) if out.exists() else {}  # parts not run now keep their last results
    runners = {"a": loader_and_population, "c": precision_and_layout, "d": parity, "e": parallelism}
    for part in dict.fromkeys("a" if p == "b" else p for p in parts):  # (a) and (b) run together
        results[PARTS[part]] = runners[part](args)
    results.update(python=platform.python_version(), torch=torch.__version__, threads=torch.get_num_threads(),
                   cpu=cpu_name(), native_bfloat16=native_bfloat16(args.device))
    if args.device != "cpu":
        results["gpu"] = torch.cuda.get_device_name()
    RESULTS.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
