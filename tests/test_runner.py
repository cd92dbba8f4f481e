"""The notebook runner and the profiles: parameters are checked before anything runs."""

import shutil

import pytest

from hpolib.__main__ import main
from hpolib.profiles import PROFILES, banner, resolve
from hpolib.runner import NOTEBOOKS, notebook_parameters, parse_parameter, run


def test_every_profile_of_a_study_sets_the_same_knobs_and_the_notebook_takes_them_all():
    for study, profiles in PROFILES.items():
        knobs = {name: set(settings) for name, settings in profiles.items()}
        assert len({frozenset(k) for k in knobs.values()}) == 1, f"{study}: profiles set different knobs"
        assert set(knobs["smoke"]) | {"profile", "output_dir"} == set(notebook_parameters(study))


def test_resolve_fills_what_was_not_given_and_refuses_unknown_names():
    settings = resolve("lenet_hpo", "quick", {"seeds": [7], "epochs": None})
    assert settings["seeds"] == [7] and settings["epochs"] == PROFILES["lenet_hpo"]["quick"]["epochs"]
    assert "profile 'quick'" in banner("lenet_hpo", "quick", settings)
    with pytest.raises(ValueError, match="profile must be one of smoke, quick, full, paper"):
        resolve("lenet_hpo", "huge", {})
    with pytest.raises(ValueError, match=r"unknown settings \['lr'\] for lenet_hpo; valid: budget, c1"):
        resolve("lenet_hpo", "smoke", {"lr": 0.1})


def test_parameters_are_python_literals_or_strings():
    assert parse_parameter("seeds=[3, 4]") == ("seeds", [3, 4])
    assert parse_parameter("dataset=cifar10") == ("dataset", "cifar10")
    assert parse_parameter("c1=(1, 8)") == ("c1", (1, 8))
    with pytest.raises(ValueError, match="key=value"):
        parse_parameter("seeds")


def test_unknown_notebooks_and_parameters_are_refused_before_running(tmp_path, capsys):
    with pytest.raises(ValueError, match="unknown notebook .nope.; known: autolrs, iis_fanova, lcm_pbt, lenet_hpo"):
        run("nope", "smoke", output=tmp_path)
    with pytest.raises(ValueError, match=r"unknown parameters \['learning_rate'\] for lenet_hpo; valid: budget"):
        run("lenet_hpo", "smoke", {"learning_rate": 0.1}, output=tmp_path)
    with pytest.raises(SystemExit):
        main(["run", "lenet_hpo", "--profile", "smoke", "-p", "lr=0.1", "--output", str(tmp_path)])
    assert "unknown parameters ['lr']" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # nothing ran, nothing was written


@pytest.fixture(scope="module")
def smoke_book(tmp_path_factory):
    from hpolib.book import build

    return build("smoke", output=tmp_path_factory.mktemp("book"))


def test_the_smoke_book_builds_without_warnings_and_shows_every_figure(smoke_book):
    import json

    from hpolib.runner import BASELINES

    html = smoke_book
    for chapter in ("index.html", "book/overview.html", "book/reproducibility.html", "book/references.html"):
        assert (html / chapter).exists(), chapter
    for notebook in BASELINES.glob("*.ipynb"):
        figures = sum("image/png" in out.get("data", {}) for cell in json.loads(notebook.read_text())["cells"]
                      for out in cell.get("outputs", []))
        page = (html / "notebooks" / f"{notebook.stem}.html").read_text()
        assert figures > 0 and page.count("<img") >= figures
        assert "at profile &#39;smoke&#39;" in page or "at profile 'smoke'" in page  # the banner
    assert "LeCun" in (html / "book" / "references.html").read_text()


@pytest.mark.skipif(not (shutil.which("chromium") and shutil.which("chromedriver")),
                    reason="needs Debian's chromium and chromium-driver")
def test_a_headless_browser_draws_every_figure_of_every_chapter(smoke_book):
    from hpolib.book import check_in_browser

    drawn = check_in_browser(smoke_book)
    for name in NOTEBOOKS.glob("*.ipynb"):
        assert drawn[f"notebooks/{name.stem}.html"] > 0
    assert set(drawn) >= {"index.html", "book/overview.html", "book/references.html"}
    assert len(list((smoke_book.parent / "screenshots").glob("*.png"))) == len(drawn)
