"""What a profile costs: training images counted from its settings, GPU-hours at a measured throughput."""

import json

from hpolib.book.cost import autolrs_images, gpu_hours_table, iis_images, lcm_pbt_images, lenet_images
from hpolib.book.profiles import resolve


def test_autolrs_counts_the_grid_on_two_seeds_then_the_tuned_constant_schedules_and_autolrs_with_exploration():
    settings = {"seeds": [0, 1, 2], "constant_lrs": [0.01, 0.1], "schedules": ["step"], "base_lr": 0.1,
                "ablations": [{}], "explore_fraction": 0.5, "steps": 10, "batch_size": 4}
    # grid 2 x 2, tuned constant on seed 2, step on 3 seeds; AutoLRS on 3 seeds and one variant, 1.5x each
    assert autolrs_images(settings) == (4 + 1 + 3 + 4 * 1.5) * 10 * 4


def test_a_bigger_profile_costs_more_and_the_table_reads_the_measured_rate(tmp_path):
    for chapter, images in (("lenet_hpo", lenet_images), ("autolrs", autolrs_images)):
        assert images(resolve(chapter, "paper", {})) > images(resolve(chapter, "full", {})) > 0
    for chapter, images in (("lcm_pbt", lcm_pbt_images), ("iis_fanova", iis_images)):
        assert sum(images(resolve(chapter, "paper", {})).values()) > sum(images(resolve(chapter, "full", {})).values())
    rows = [{"network": "LeNet-5 26/19/40/324", "variant": "float32", "images_per_s": 1000.0},
            {"network": "LeNet-5 26/19/40/324", "variant": "bfloat16", "images_per_s": 9e9}]
    (tmp_path / "training_throughput_cuda.json").write_text(json.dumps(
        {"precision": rows, "gpu": "a GPU", "torch": "2"}))
    table = gpu_hours_table(tmp_path)
    hours = lenet_images(resolve("lenet_hpo", "paper", {})) / 1000 / 3600
    assert f"| 1,000 | {hours:,.1f} |" in table  # the float32 rate, not the faster bfloat16 one
    assert "VGG-16: not measured" in table and "one a GPU" in table
    assert "No GPU throughput measured yet" in gpu_hours_table(tmp_path / "none")


def test_lcm_pbt_counts_both_searches_of_each_lcm_experiment_with_a_warm_up_and_three_populations_per_seed():
    settings = {"width": 32, "cnn_width": 8, "dataset": "mnist", "subset": 2000, "val_fraction": 0.25,
                "seeds": [0, 1], "n_trials": 5, "epochs": 3, "pbt_seeds": [0, 1, 2], "population_size": 4,
                "pbt_epochs": 5, "cnn_dataset": "cifar10", "cnn_subset": 1000, "cnn_val_fraction": 0.4,
                "cnn_seeds": [0], "cnn_trials": 4, "cnn_epochs": 2}
    # 1,500 training images: random search and LCM, 2 seeds x 5 trials x 3 epochs each, and one warm-up epoch;
    # PBT, no perturbation and random search on 3 seeds, 4 members x 5 epochs; 600 four-conv images, 2 x 4 x 2 + 1
    assert lcm_pbt_images(settings) == {"MLP 784-32-10": 61 * 1500, "MLP 784-32-32-10 sigmoid": 180 * 1500,
                                        "four-conv 8/8/16/16": 17 * 600}


def test_iis_counts_every_optimisers_direct_search_and_both_variants_stages_per_resolution():
    settings = {**resolve("iis_fanova", "full", {}), "optimizers": ["random", "tpe", "ga"], "seeds": [0, 1],
                "resolutions": [8, 16, 32], "evaluations": 10, "iis_evaluations": [5, 3, 2], "epochs": 4,
                "dataset": "stl10", "subset": None, "val_fraction": 0.2}
    # 4,000 of STL-10's 5,000 training images; 3 optimisers x 2 seeds; 10 direct and 2 x 5, 3, 2 IIS trials, 4 epochs
    assert iis_images(settings) == {"IIS CNN 15/15/63 k4 8 px": 6 * 20 * 4 * 4000,
                                    "IIS CNN 15/15/63 k4 16 px": 6 * 16 * 4 * 4000,
                                    "IIS CNN 15/15/63 k4 32 px": 6 * 14 * 4 * 4000}


def test_the_table_has_a_row_per_chapter_with_hours_only_where_every_network_was_measured(tmp_path):
    lcm = lcm_pbt_images(resolve("lcm_pbt", "paper", {}))
    rates = dict(zip(lcm, (1000.0, 2000.0, 500.0)))
    rows = [{"network": n, "variant": "float32", "images_per_s": r} for n, r in rates.items()]
    (tmp_path / "training_throughput_cuda.json").write_text(json.dumps(
        {"precision": rows, "gpu": "a GPU", "torch": "2"}))
    table = gpu_hours_table(tmp_path)
    hours = sum(lcm[n] / rates[n] for n in lcm) / 3600
    networks = "MLP 784-128-10, MLP 784-128-128-10 sigmoid, four-conv 32/32/64/64"
    assert f"| LCM and PBT | 4.4 billion | {networks} | 1,000 / 2,000 / 500 | {hours:,.1f} |" in table
    iis = next(line for line in table.splitlines() if line.startswith("| IIS and fANOVA (32, 64, 96 px) |"))
    assert iis.count(": not measured") == 3 and iis.endswith("| | |")
    assert "LCM and PBT, IIS" not in table
