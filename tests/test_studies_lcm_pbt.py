"""The LCM and PBT chapter's analysis: LCM against random search, PBT's members, the slides beside ours, and the
typed results the claims ledger reads."""

import json
import math

import pandas as pd
import pytest

from hpolib.book.sources import LCM
from hpolib.studies import lcm_pbt as chapter

SETTINGS = {"seeds": [0, 1], "n_trials": 20, "epochs": 8, "checkpoints": [2, 4], "split_rate": 0.2,
            "early_stopping_rate": 0.99, "n_neighbours": 2, "cnn_seeds": [3], "cnn_trials": 10, "cnn_epochs": 6,
            "cnn_checkpoints": [2], "dataset": "mnist", "cnn_dataset": "cifar10"}


def _curve(config, budget, report):
    """A validation accuracy that rises towards a ceiling set by the learning rate: the final ranking shows early."""
    ceiling = 0.9 - 0.1 * abs(math.log10(config["lr"]) + 1)
    for epoch in range(1, int(budget) + 1):
        report(epoch, ceiling * (1 - math.exp(-epoch / 2)))
    return {"val_accuracy": ceiling * (1 - math.exp(-budget / 2))}


def _pair(seed, lcm_best=0.97, random_best=0.975, lcm_seconds=30.0, share=0.4):
    return chapter.Pair(seed, 400.0, 400.0 * share, 25, random_best, lcm_best, 0.96, share, 100.0, lcm_seconds)


def test_lcm_against_random_search_trains_the_same_configurations_for_fewer_epochs():
    pairs = chapter.lcm_versus_random(_curve, SETTINGS)
    assert [p.seed for p in pairs] == [0, 1]
    assert all(p.random_epochs == 20 * 8 and p.lcm_epochs < 0.8 * p.random_epochs for p in pairs)
    assert all(p.lcm_stopped >= 5 and p.epochs_share == pytest.approx(p.lcm_epochs / p.random_epochs)
               for p in pairs)
    assert all(p.lcm_best <= p.random_best for p in pairs)  # the same configurations, some stopped
    cnn = chapter.lcm_versus_random(_curve, SETTINGS, cnn=True)  # the four-conv network's own settings
    assert [p.seed for p in cnn] == [3] and cnn[0].random_epochs == 10 * 6
    assert list(chapter.table(pairs).columns[:3]) == ["seed", "random_epochs", "lcm_epochs"]


def test_a_pair_gives_lcm_s_share_of_the_seconds_and_its_accuracy_gap_in_points():
    pair = _pair(0, lcm_best=0.9710, random_best=0.9741, lcm_seconds=21.0)
    assert pair.seconds_share == pytest.approx(0.21)
    assert pair.accuracy_gap == pytest.approx(-0.31)


def test_each_member_s_last_segment_is_its_final_state():
    schedule = pd.DataFrame([
        {"member": 0, "start": 0, "end": 2, "value": 0.5, "lr": 0.1, "lr_decay": 0.9, "lr_decay_every": 1},
        {"member": 1, "start": 0, "end": 2, "value": 0.6, "lr": 0.2, "lr_decay": 0.8, "lr_decay_every": 2},
        {"member": 0, "start": 2, "end": 4, "value": 0.7, "lr": 0.24, "lr_decay": 0.8, "lr_decay_every": 2},
        {"member": 1, "start": 2, "end": 4, "value": 0.65, "lr": 0.2, "lr_decay": 0.8, "lr_decay_every": 2}])
    members = chapter.final_members(schedule.sample(frac=1, random_state=0))
    assert members == [chapter.Member(0, 0.7, 0.24, 0.8, 2), chapter.Member(1, 0.65, 0.2, 0.8, 2)]
    assert chapter.Results("smoke", SETTINGS, pbt_final=members).pbt_best == 0.7
    assert chapter.Results("smoke", SETTINGS).pbt_best is None


def test_the_slides_stand_beside_our_medians_and_the_headline_quotes_them():
    results = chapter.Results("full", SETTINGS, [_pair(0, share=0.3), _pair(1, share=0.5), _pair(2, share=0.4)],
                              [_pair(0, lcm_best=0.43, random_best=0.44)], [chapter.Member(0, 0.96, 0.1, 0.7, 2)])
    side = chapter.beside_slides(SETTINGS, results.lcm, results.lcm_cnn)
    assert list(side[""]) == ["slides, MNIST", "here, mnist, one dense layer (median of 3 seeds)", "slides, CIFAR-10",
                              "here, cifar10, four-conv (median of 1 seeds)"]
    assert side["LCM share"].tolist() == pytest.approx([LCM["mnist"]["lcm_seconds"] / LCM["mnist"]["random_seconds"],
                                                         0.4, LCM["cifar10"]["lcm_seconds"] / 26498, 0.4])
    assert side.random[0] == "3657.75 s, 97.41 %" and side.LCM[1] == "160 epochs, 97.00 %"
    numbers = chapter.headline(results)
    assert numbers["lcm_share"] == pytest.approx(0.4) and numbers["lcm_gap"] == pytest.approx(-0.5)
    assert numbers["cnn_gap"] == pytest.approx(-1.0) and numbers["cnn_dataset"] == "cifar10"
    assert numbers["pbt_best"] == 0.96


def test_results_written_are_read_back_typed_and_a_stored_file_reads(tmp_path):
    results = chapter.Results("full", SETTINGS, [_pair(0)], [_pair(1)], [chapter.Member(0, 0.96, 0.1, 0.7, 2)], "cpu")
    results.write(tmp_path / "lcm_pbt_results.json")
    again = chapter.Results.read(tmp_path / "lcm_pbt_results.json")
    assert again == results and isinstance(again.lcm[0], chapter.Pair)
    stored = json.loads((tmp_path / "lcm_pbt_results.json").read_text())
    assert chapter.Results.read({**stored, "_provenance": {}}) == results  # the ledger's extra key is ignored
    with pytest.raises(KeyError, match="random_epochs"):  # a row missing a field is refused
        chapter.Results.read({**stored, "lcm": [{"seed": 0}]})
    with pytest.raises(ValueError, match="not fields of hpolib.studies.lcm_pbt.Results: lcm_mlp"):
        chapter.Results.read({**stored, "lcm_mlp": []})
