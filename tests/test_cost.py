"""What a profile costs: training images counted from its settings, GPU-hours at a measured throughput."""

import json

from hpolib.book.cost import autolrs_images, gpu_hours_table, lenet_images
from hpolib.book.profiles import resolve


def test_autolrs_counts_the_grid_on_two_seeds_then_the_tuned_constant_schedules_and_autolrs_with_exploration():
    settings = {"seeds": [0, 1, 2], "constant_lrs": [0.01, 0.1], "schedules": ["step"], "base_lr": 0.1,
                "ablations": [{}], "explore_fraction": 0.5, "steps": 10, "batch_size": 4}
    # grid 2 x 2, tuned constant on seed 2, step on 3 seeds; AutoLRS on 3 seeds and one variant, 1.5x each
    assert autolrs_images(settings) == (4 + 1 + 3 + 4 * 1.5) * 10 * 4


def test_a_bigger_profile_costs_more_and_the_table_reads_the_measured_rate(tmp_path):
    for chapter, images in (("lenet_hpo", lenet_images), ("autolrs", autolrs_images)):
        assert images(resolve(chapter, "paper", {})) > images(resolve(chapter, "full", {})) > 0
    rows = [{"network": "LeNet-5 26/19/40/324", "variant": "float32", "images_per_s": 1000.0},
            {"network": "LeNet-5 26/19/40/324", "variant": "bfloat16", "images_per_s": 9e9}]
    (tmp_path / "training_throughput_cuda.json").write_text(json.dumps(
        {"precision": rows, "gpu": "a GPU", "torch": "2"}))
    table = gpu_hours_table(tmp_path)
    hours = lenet_images(resolve("lenet_hpo", "paper", {})) / 1000 / 3600
    assert f"| 1,000 | {hours:,.1f} |" in table  # the float32 rate, not the faster bfloat16 one
    assert "VGG-16: not measured" in table and "one a GPU" in table
    assert "No GPU throughput measured yet" in gpu_hours_table(tmp_path / "none")
