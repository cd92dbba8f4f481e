import os
from pathlib import Path

import numpy as np
import pytest
import torch

from hpolib.dl import data

SHARED = Path(os.environ.get("HPOLIB_DATA", "data"))


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("HPOLIB_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


def test_bundled_digits_load_offline_with_disjoint_seeded_splits():
    d = data.load("digits", val_fraction=0.2, seed=1)
    assert d.shape == (1, 8, 8) and d.num_classes == 10
    assert len(d.train) + len(d.val) + len(d.test) == 1797 and len(d.test) == 360
    assert abs(d.train.x.mean().item()) < 1e-4 and abs(d.train.x.std().item() - 1) < 1e-3  # normalised on train
    again = data.load("digits", val_fraction=0.2, seed=1)
    assert torch.equal(again.val.x, d.val.x) and torch.equal(again.train.y, d.train.y)
    other = data.load("digits", val_fraction=0.2, seed=2)
    assert not torch.equal(other.val.y, d.val.y)
    assert torch.equal(other.test.y, d.test.y)  # the test set never moves
    # Disjoint: no training image appears in validation or test.
    rows = lambda s: {tuple(r) for r in (s.x.flatten(1) * 1000).round().int().tolist()}  # noqa: E731
    assert not rows(d.train) & rows(d.val)


def test_subsets_are_stratified_and_resizing_gives_the_asked_size():
    d = data.load("digits", subset=500, test_subset=100, size=16, grayscale=True, seed=0)
    assert d.shape == (1, 16, 16) and len(d.train) + len(d.val) == 500 and len(d.test) == 100
    counts = np.bincount(torch.cat([d.train.y, d.val.y]).numpy(), minlength=10)
    assert counts.min() >= 45 and counts.max() <= 55


def test_a_cache_file_holding_other_objects_is_made_again_and_its_code_never_runs(tmp_path, monkeypatch, plant):
    monkeypatch.setenv("HPOLIB_CACHE", str(tmp_path / "cache"))
    first = data.load("digits")
    (cached,) = (tmp_path / "cache").glob("digits*.pt")
    ran = plant(cached)
    with pytest.warns(UserWarning, match="other than tensors and plain values, so hpolib did not write it: made again"):
        again = data.load("digits")
    assert not ran.exists() and torch.equal(again.train.x, first.train.x) and torch.equal(again.val.y, first.val.y)
    assert torch.load(cached, weights_only=True)["train_y"].dtype == torch.int64


def test_mnist5k_sample_is_bundled():
    d = data.load("mnist5k")
    assert d.shape == (1, 28, 28) and len(d.train) + len(d.val) == 4000 and len(d.test) == 1000


def test_missing_dataset_error_names_folder_files_and_alternatives(tmp_path):
    with pytest.raises(data.DatasetNotFound) as err:
        data.load("cifar10", root=tmp_path, download=False)
    message = str(err.value)
    assert str(tmp_path) in message and "cifar-10-batches-py" in message
    assert "cifar10/train/<class>/<image>" in message and "digits, mnist5k" in message


def test_image_folders_are_read(tmp_path):
    from PIL import Image

    for split, n in (("train", 12), ("test", 4)):
        for label, cls in enumerate(["cat", "dog"]):
            folder = tmp_path / "toy" / split / cls
            folder.mkdir(parents=True)
            for i in range(n):
                Image.new("RGB", (10, 10), (40 * label + i,) * 3).save(folder / f"{i}.png")
    raw = data._from_image_folders(tmp_path / "toy", None)
    train_x, train_y, test_x, test_y, classes = raw
    assert classes == ["cat", "dog"] and train_x.shape == (24, 3, 10, 10) and test_x.shape == (8, 3, 10, 10)
    assert list(train_y) == [0] * 12 + [1] * 12 and int(train_x[12, 0, 0, 0]) == 40


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown dataset 'imagenet'"):
        data.load("imagenet")
    with pytest.raises(ValueError, match="val_fraction"):
        data.load("digits", val_fraction=1.5)
    with pytest.raises(ValueError, match="size"):
        data.load("digits", size=2)


@pytest.mark.skipif(not (SHARED / "MNIST" / "raw" / "train-images-idx3-ubyte").exists(),
                    reason="real MNIST is not under $HPOLIB_DATA")
def test_real_mnist_through_torchvision():
    d = data.load("mnist", root=SHARED, download=False, val_fraction=0.1)
    assert d.shape == (1, 28, 28) and len(d.train) + len(d.val) == 60_000 and len(d.test) == 10_000
    counts = np.bincount(torch.cat([d.train.y, d.val.y]).numpy())
    assert counts.tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert d.mean[0] == pytest.approx(0.1307, abs=2e-4) and d.std[0] == pytest.approx(0.3081, abs=2e-4)


@pytest.mark.skipif(not (SHARED / "cifar10" / "train").is_dir(), reason="CIFAR-10 image folders are not under "
                    "$HPOLIB_DATA")
def test_real_cifar10_from_image_folders():
    d = data.load("cifar10", root=SHARED, download=False, val_fraction=0.1)
    assert d.shape == (3, 32, 32) and len(d.train) + len(d.val) == 50_000 and len(d.test) == 10_000
    assert np.bincount(d.test.y.numpy()).tolist() == [1000] * 10
    assert d.classes[:3] == ["airplane", "automobile", "bird"]
    # The original CIFAR-10's channel means; the JPEG copy is within a few thousandths.
    assert np.allclose(d.mean, [0.4914, 0.4822, 0.4465], atol=0.005)


OTHERS = {  # what each dataset's torchvision layout or image folders look like under the data root
    "fashion_mnist": ("FashionMNIST/raw/train-images-idx3-ubyte", (1, 28, 28), 10),
    "cifar100": ("cifar-100-python/train", (3, 32, 32), 100),
    "stl10": ("stl10_binary/train_X.bin", (3, 96, 96), 10),
    "flowers102": ("flowers-102/imagelabels.mat", (3, 128, 128), 102),
}


@pytest.mark.parametrize("name", sorted(OTHERS))
def test_other_real_datasets_where_present(name):
    native, shape, classes = OTHERS[name]
    if not ((SHARED / native).exists() or (SHARED / name / "train").is_dir()):
        pytest.skip(f"{name} is not under $HPOLIB_DATA ({SHARED}): no public copy reachable here")
    d = data.load(name, root=SHARED, download=False, subset=2000, test_subset=500)
    assert d.shape == shape and d.num_classes == classes
    assert len(d.train) + len(d.val) == 2000 and len(d.test) == 500
