"""The notebook runner and the profiles: parameters are checked before anything runs."""

import re
import shutil
import tempfile
from pathlib import Path

import pytest

from hpolib.__main__ import main
from hpolib.book.profiles import PROFILES, banner, resolve
from hpolib.book.runner import (EXECUTOR_PARAMETERS, NOTEBOOKS, NotebookFailed, notebook_parameters,
                                 parse_parameter, run, run_many)


def test_every_profile_of_a_study_sets_the_same_knobs_and_the_notebook_takes_them_all():
    for study, profiles in PROFILES.items():
        knobs = {name: set(settings) for name, settings in profiles.items()}
        assert len({frozenset(k) for k in knobs.values()}) == 1, f"{study}: profiles set different knobs"
        run_owned = {"profile", "output_dir"} | ({*EXECUTOR_PARAMETERS} if takes_executor(study) else set())
        assert set(knobs["smoke"]) | run_owned == set(notebook_parameters(study))


def takes_executor(study):
    return {"executor"} & set(notebook_parameters(study))


def test_a_chapter_that_runs_serially_refuses_an_executor_before_anything_runs(tmp_path):
    assert all(takes_executor(study) for study in ("lenet_hpo", "lcm_pbt", "iis_fanova"))
    serial = [n.stem for n in NOTEBOOKS.glob("*.ipynb") if not takes_executor(n.stem)]
    assert "autolrs" in serial
    for study in serial:
        with pytest.raises(ValueError, match=f"{study} runs its trials serially: it takes no --executor"):
            run(study, "smoke", output=tmp_path, executor="processes:2")
    assert not list(tmp_path.iterdir())


def test_resolve_fills_what_was_not_given_and_refuses_unknown_names():
    settings = resolve("lenet_hpo", "quick", {"seeds": [7], "epochs": None})
    assert settings["seeds"] == [7] and settings["epochs"] == PROFILES["lenet_hpo"]["quick"]["epochs"]
    assert "profile 'quick'" in banner("lenet_hpo", "quick", settings)
    said = str(banner("iis_fanova", "full", resolve("iis_fanova", "full", {"seeds": [0, 1, 2]})))
    assert "seeds 0 to 2" in said and "IIS evaluations by resolution 20, 13, 7" in said  # values, not a range
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


@pytest.mark.parametrize("parameter, message", [
    ("seeds=notalist", "seeds must be a non-empty list, each a whole number >= 0, got 'notalist'"),
    ("seeds=[]", "seeds must be a non-empty list"),
    ("epochs=0", "epochs must be a whole number >= 1, got 0"),
    ("subset=-5", "subset must be a whole number >= 1 or None, got -5"),
    ("c1=(32, 1)", r"c1 must be a pair \(low, high\) with low <= high, each a whole number >= 0, got \(32, 1"),
    ("dataset=cifar11", "dataset must be one of digits, mnist5k, mnist, .*, got 'cifar11'"),
    ("methods=['tpe', 'smac']", r"methods must be a non-empty list, each one of grid, random, .*, got \['tpe', 'sm"),
    ("grayscale=yes", "grayscale must be True or False, got 'yes'"),
    ("profile=nosuch", "profile is not set with -p: give it as --profile"),
    ("output_dir=elsewhere", "output_dir is not set with -p: give it as --output"),
])
def test_parameters_of_the_wrong_type_or_range_are_refused_before_running(parameter, message, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["run", "lenet_hpo", "--profile", "smoke", "-p", parameter, "--output", str(tmp_path)])
    assert re.search(message, capsys.readouterr().err)
    assert not list(tmp_path.iterdir())  # nothing ran, nothing was written
    key, value = parse_parameter(parameter)
    if key not in ("profile", "output_dir"):  # a notebook run without the runner gets the same error
        with pytest.raises(ValueError, match=message):
            resolve("lenet_hpo", "smoke", {key: value})


def test_every_profile_default_passes_the_checks_and_pairs_may_be_lists():
    for study, profiles in PROFILES.items():
        for profile in profiles:
            resolve(study, profile, {})
    assert resolve("lenet_hpo", "smoke", {"c1": [2, 8], "subset": None})["c1"] == [2, 8]


@pytest.mark.slow
def test_a_failed_run_keeps_the_last_good_notebook_and_says_which_cell_failed(tmp_path, monkeypatch, capsys):
    import nbformat

    cell = nbformat.v4.new_code_cell
    book = nbformat.v4.new_notebook(cells=[
        cell('profile = "smoke"\noutput_dir = None\nfail = False\npair = None', metadata={"tags": ["parameters"]}),
        cell('if fail:\n    raise RuntimeError("the data root is empty\\nsecond line")\nprint("good", pair)'),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(book, tmp_path / "tiny.ipynb")
    monkeypatch.setattr("hpolib.book.runner.NOTEBOOKS", tmp_path)
    good = run("tiny", "smoke", {"pair": (1, 8)}, output=tmp_path / "out", progress=False)
    kept = good.read_text()
    assert "good [1, 8]" in kept  # a tuple arrives as a list (papermill would write it as a string)
    with pytest.raises(NotebookFailed, match=r"tiny failed at In \[3\] \(if fail: .*\): RuntimeError: the data root "
                                            r"is empty second line; the failed run is .*tiny.failed.ipynb, "
                                            r"tiny.ipynb is as it was"):
        run("tiny", "smoke", {"fail": True}, output=tmp_path / "out", progress=False)
    assert good.read_text() == kept
    failed = good.with_name("tiny.failed.ipynb")
    assert "the data root is empty" in failed.read_text()
    assert main(["run", "tiny", "--profile", "smoke", "-p", "fail=True", "--output", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith("hpolib run: tiny failed at In [3]") and "Traceback" not in err
    run("tiny", "smoke", output=tmp_path / "out", progress=False)
    assert sorted(p.name for p in good.parent.iterdir()) == ["claims.json", "tiny.ipynb",
                                                             "tiny_provenance.json"]  # no failed one left


def test_a_run_records_its_provenance_and_the_command_that_reruns_it(tmp_path, monkeypatch):
    import json

    import nbformat
    import torch

    book = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('profile = "smoke"\noutput_dir = None\nseeds = None',
                                  metadata={"tags": ["parameters"]})],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(book, tmp_path / "tiny.ipynb")
    monkeypatch.setattr("hpolib.book.runner.NOTEBOOKS", tmp_path)
    run("tiny", "smoke", {"seeds": [3, 4]}, output=tmp_path / "out", progress=False)
    assert str(tmp_path) not in (tmp_path / "out" / "smoke" / "tiny.ipynb").read_text()  # no local path
    record = json.loads((tmp_path / "out" / "smoke" / "tiny_provenance.json").read_text())
    assert record["command"] == "python -m hpolib run tiny --profile smoke -p 'seeds=[3, 4]'"
    assert record["torch"] == torch.__version__ and record["threads"] >= 1 and record["cpu"]
    assert record["commit"] is None or len(record["commit"].rstrip("+")) == 40


@pytest.mark.slow
def test_notebooks_run_at_once_share_the_cores_and_a_failure_stops_none_of_the_others(tmp_path, monkeypatch):
    import json
    import os

    import nbformat

    cell = nbformat.v4.new_code_cell
    for name in ("first", "second", "broken"):
        book = nbformat.v4.new_notebook(cells=[
            cell('profile = "smoke"\noutput_dir = None', metadata={"tags": ["parameters"]}),
            cell(f'import json, os, time\nbegan = time.time()\ntime.sleep(2)\nassert "{name}" != "broken"\n'
                 f'json.dump([began, time.time(), os.environ["OMP_NUM_THREADS"]], open("{name}.json", "w"))')],
            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
        nbformat.write(book, tmp_path / f"{name}.ipynb")
    monkeypatch.setattr("hpolib.book.runner.NOTEBOOKS", tmp_path)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    out = tmp_path / "out"
    ended = {name: path for name, path, _ in run_many(["first", "second", "broken"], "smoke", jobs=2, output=out)}
    assert isinstance(ended.pop("broken"), NotebookFailed) and ended == {n: out / "smoke" / f"{n}.ipynb" for n in ended}
    (a0, a1, threads), (b0, b1, _) = (json.loads((out / "smoke" / f"{n}.json").read_text()) for n in ended)
    assert a0 < b1 and b0 < a1  # the two ran at the same time
    assert threads == str(max(1, (os.cpu_count() or 1) // 2))
    assert json.loads((out / "smoke" / "first_provenance.json").read_text())["threads"] == int(threads)
    assert (out / "smoke" / "claims.json").exists()
    with pytest.raises(ValueError, match="jobs must be a whole number >= 1, got 0"):
        next(run_many(["first"], "smoke", jobs=0))


def test_a_kernel_runs_over_ipc_and_its_temporary_folders_go_with_the_run(tmp_path, monkeypatch, capfd):
    import json

    import nbformat

    book = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('profile = "smoke"\noutput_dir = None', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell('import tempfile\nprint(tempfile.mkdtemp(prefix="results-"))')],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(book, tmp_path / "tiny.ipynb")
    monkeypatch.setattr("hpolib.book.runner.NOTEBOOKS", tmp_path)
    executed = run("tiny", "smoke", output=tmp_path / "out", progress=False)
    (folder,) = json.loads(executed.read_text())["cells"][-1]["outputs"][0]["text"]
    assert folder.startswith(tempfile.gettempdir()) and not Path(folder.strip()).exists()
    assert "without encryption" not in capfd.readouterr().err


@pytest.fixture(scope="module")
def smoke_book(tmp_path_factory):
    from hpolib.book.build import build

    return build("smoke", output=tmp_path_factory.mktemp("book"))


@pytest.mark.slow
def test_the_smoke_book_builds_without_warnings_and_shows_every_figure(smoke_book):
    import json

    from hpolib.book.runner import BASELINES

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
    intro = (html / "book" / "intro.html").read_text()
    assert "This copy of the book is the" in intro and "smoke" in intro and "Not measured" in intro
    assert 'href="claims.html#claim-lenet-grid-cost"' in intro  # each claim links to its ledger entry
    ledger = (html / "book" / "claims.html").read_text()
    assert 'id="claim-lenet-grid-cost"' in ledger and "notebooks/lenet_hpo.html#" in ledger


@pytest.mark.slow
@pytest.mark.skipif(not (shutil.which("chromium") and shutil.which("chromedriver")),
                    reason="needs Debian's chromium and chromium-driver")
def test_a_headless_browser_draws_every_figure_of_every_chapter(smoke_book):
    from hpolib.book.build import check_in_browser
    from hpolib.book.claims import CLAIMS

    checked = check_in_browser(smoke_book)
    for name in NOTEBOOKS.glob("*.ipynb"):
        page = f"notebooks/{name.stem}.html"
        assert checked[page]["figures"] > 0, (page, checked[page])
        assert checked[page]["links"] > 0
    assert set(checked) >= {"index.html", "book/overview.html", "book/references.html"}
    assert checked["book/intro.html"]["links"] > len(CLAIMS)  # one to each claim's ledger entry, and more
    assert len(list((smoke_book.parent / "screenshots").glob("*.png"))) == len(checked)


def test_no_committed_notebook_shows_a_local_path():
    from hpolib.book.runner import BASELINES, OUTPUT, ROOT

    notebooks = [*BASELINES.glob("*.ipynb"), *(ROOT / OUTPUT / "full").glob("*.ipynb")]
    for notebook in [n for n in notebooks if not n.name.endswith(".running.ipynb")]:  # in progress: not published
        assert str(ROOT) not in notebook.read_text(), notebook


@pytest.mark.parametrize("study, given, message", [
    ("iis_fanova", {"iis_evaluations": [5]}, r"iis_evaluations needs one entry per resolution \(2\), got \[5\]"),
    ("iis_fanova", {"val_fraction": 1.0}, r"val_fraction must be in \(0, 1\), got 1.0"),
    ("autolrs", {"loss": "test"}, "loss must be one of train, validation, got 'test'"),
    ("autolrs", {"ablations": [3]}, r"ablations must be a list, each a dict, got \[3\]"),
])
def test_settings_that_do_not_fit_together_or_the_study_are_refused(study, given, message):
    with pytest.raises(ValueError, match=message):
        resolve(study, "smoke", given)
    assert resolve("autolrs", "smoke", {"ablations": []})["ablations"] == []  # no variants is allowed


def test_run_and_book_refuse_clearly_outside_a_checkout(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("hpolib.book.runner.ROOT", tmp_path)
    monkeypatch.setattr("hpolib.book.runner.NOTEBOOKS", tmp_path / "notebooks")
    for argv in (["run", "lenet_hpo"], ["book"]):
        with pytest.raises(SystemExit):
            main(argv)
        error = capsys.readouterr().err
        assert f"need the project's checkout (notebooks/, book/, _toc.yml); none at {tmp_path}" in error


@pytest.mark.slow
@pytest.mark.skipif(not (shutil.which("chromium") and shutil.which("chromedriver")),
                    reason="needs Debian's chromium and chromium-driver")
def test_the_browser_check_names_what_a_reader_would_trip_over(tmp_path):
    from hpolib.book.build import _pages, check_in_browser

    fine = "<html><body><article><p>NaN or infinite losses are recorded as diverged.</p></article></body></html>"
    for page in _pages(tmp_path):  # prose may say NaN; only outputs and tables may not
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(fine)
    wide = "x" * 400
    figure = _png(tmp_path / "figure.png", width=500)
    (tmp_path / "index.html").write_text(
        f'<html><body><article style="width: 600px"><pre>{wide}</pre>'
        '<table><tr><td>tpe</td><td>nan</td></tr></table><p>{glue:text}`best`</p>'
        f'<img src="{figure.name}" style="width: 400px"><img src="{figure.name}">'  # shrunk to 80 %, then as drawn
        '<p id="here"><a href="#here">fine</a> <a href="#gone">gone</a> <a href="book/overview.html">fine</a> '
        '<a href="book/overview.html#nowhere">anchor gone</a> <a href="nope.html">page gone</a> '
        '<a href="https://example.org/#x">elsewhere, not checked</a></p>'
        f'<details><summary>code</summary><pre>{wide}</pre></details><p><code>{wide}</code></p></article></body></html>')
    with pytest.raises(RuntimeError, match="the book does not read as it should") as caught:
        check_in_browser(tmp_path)
    problems = str(caught.value).splitlines()[1:]
    assert all(p.startswith("index.html: ") for p in problems), problems
    kinds = sorted(p.removeprefix("index.html: ").split(" (")[0].split(":")[0] for p in problems)
    assert kinds == ["a block wider than the column", "a block wider than the column",  # the pre and the prose
                     "a figure shown at 80% of its drawn width",
                     "a link to nowhere", "a link to nowhere", "a link to nowhere", "a nan",
                     "a raw {glue} role"], problems  # the folded block is not
    assert {p.rsplit(": ", 1)[1] for p in problems if "link" in p} == {"#gone", "book/overview.html#nowhere",
                                                                        "nope.html"}
    (tmp_path / "index.html").write_text(f'<html><body><article><img src="{figure.name}"><table></table>'
                                         '<a href="book/overview.html">fine</a></article></body></html>')
    checked = check_in_browser(tmp_path)
    assert checked["index.html"] == {"figures": 1, "tables": 1, "links": 1}
    (tmp_path / "index.html").write_text('<html><body><article><p>gone</p></article>'  # as a page that came back blank
                                         '<script>document.querySelector("article").remove()</script></body></html>')
    with pytest.raises(RuntimeError, match="index.html: the browser showed no article, twice"):
        check_in_browser(tmp_path)


def _png(path, width: int):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(width / 100, 1), dpi=100)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def test_printed_output_names_project_files_relative_to_the_project(tmp_path):
    import json

    import nbformat

    from hpolib.book.runner import ROOT, _without_local_paths

    warning = f"{ROOT}/hpolib/analysis/iis.py:165: UserWarning: trial 1 was running when its driver stopped\n"
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("pass", outputs=[
        nbformat.v4.new_output("stream", name="stderr", text=warning)])])
    text = _without_local_paths(nbformat.writes(book), ROOT / "notebooks" / "x.ipynb", tmp_path / "x.ipynb")
    assert json.loads(text)["cells"][0]["outputs"][0]["text"] == [warning.replace(f"{ROOT}/", "")]
    assert str(ROOT) not in text


def test_a_published_page_drops_notices_of_restarted_trials_and_keeps_every_other_stderr(tmp_path):
    import json

    import nbformat

    from hpolib import Float, Space, Study
    from hpolib.book.build import _presented
    from hpolib.study import ResumedTrialWarning

    space = Space({"x": Float(0.0, 1.0)})
    first = Study(space, direction="minimize", storage=tmp_path / "s.db", seed=0, name="s")
    first.ask()
    first.close()
    with pytest.warns(ResumedTrialWarning) as caught:
        Study(space, direction="minimize", storage=tmp_path / "s.db", seed=0, name="s").optimize(
            lambda config, budget, report: config["x"], n_trials=2, progress=False)
    notice = f"hpolib/study.py:271: ResumedTrialWarning: {caught[0].message}\n  _optimize.optimize(self)\n"
    older = f"hpolib/study.py:271: UserWarning: trial 5 of study 'x' {ResumedTrialWarning.SAID}\n"  # before the class
    other = "hpolib/analysis/iis.py:165: RuntimeWarning: overflow encountered\n"
    outputs = [nbformat.v4.new_output("stream", name="stderr", text=text) for text in (notice, older, other)]
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("pass", outputs=outputs)])
    (tmp_path / "n.ipynb").write_text(nbformat.writes(book))
    shown = json.loads(_presented(tmp_path / "n.ipynb", tmp_path / "n.ipynb"))["cells"][0]["outputs"]
    assert ["".join(o["text"]) for o in shown] == [other]


def test_the_book_describes_a_chapters_data_in_todays_words_with_the_checksums_its_run_recorded(tmp_path):
    import json

    from hpolib.book.build import _provenance_table
    from hpolib.book.provenance import about

    record = {"commit": "9690de8d6e22", "python": "3.11.7", "torch": "2.14.1", "numpy": "2.4.6", "cpu": "AMD EPYC",
              "threads": 1, "command": "python -m hpolib run lcm_pbt --profile full",
              "data": {"cifar10": {"about": "words an older run wrote", "images": 60000, "md5": {"train/": "d2e5"}}}}
    (tmp_path / "lcm_pbt_provenance.json").write_text(json.dumps(record))
    table = _provenance_table(tmp_path, ["lcm_pbt.ipynb"])
    assert about("cifar10") in table and "not measured here" in about("cifar10")
    assert "words an older run wrote" not in table and "60,000 images, `train/` md5 `d2e5`" in table


def test_a_trial_timed_across_a_pause_is_told_from_a_slow_configuration():
    from hpolib import TrialState
    from hpolib.book.build import timed_across_a_pause
    from hpolib.trial import Trial

    def trial(number, seconds, epochs=2.0):
        return Trial(number, {}, TrialState.COMPLETE, budget_used=epochs, started=100.0, finished=100.0 + seconds)

    usual = [trial(k, 20.0 + k) for k in range(6)]  # about 10 s an epoch
    slow, short, paused = trial(6, 180.0), trial(7, 30.0, epochs=0.5), trial(8, 2400.0)
    # slow: 7.5 times the median seconds per epoch, but only 156 s beyond it
    assert timed_across_a_pause([*usual, slow, short, paused]) == [paused]
    assert timed_across_a_pause([*usual, trial(9, 200.0, epochs=20)]) == []  # ten times the epochs, not a pause
    assert timed_across_a_pause([paused, trial(10, 20.0)]) == []  # too few to have a median


def test_the_book_says_how_long_a_chapters_trials_took_beside_its_last_execution(tmp_path):
    import json

    from hpolib import Float, Space, Study
    from hpolib.book.build import _runs_table

    Study(Space({"x": Float(0.0, 1.0)}), direction="minimize", storage=tmp_path / "lenet_hpo.db", seed=0,
          name="s").optimize(lambda config, budget, report: config["x"], n_trials=3, progress=False)
    for name in ("lenet_hpo", "autolrs"):
        record = {"duration": 17.0, "start_time": "2026-12-05T07:40:00", "parameters": {"profile": "full"}}
        (tmp_path / f"{name}.ipynb").write_text(json.dumps({"cells": [], "metadata": {"papermill": record}}))
    rows = _runs_table(tmp_path, ["lenet_hpo.ipynb", "autolrs.ipynb"], stores=tmp_path).splitlines()
    assert rows[2].startswith("| {doc}`../notebooks/lenet_hpo` | full | float32 | 2026-12-05 07:40 | 17 s | 3 trials, ")
    assert rows[3].endswith("| 17 s | – |")  # a chapter without a store
    import sqlite3

    banner = {"outputs": [{"data": {"text/plain": "at profile 'full' (a run); arithmetic auto (bfloat16 on this "
                                                  "machine)."}}]}
    record = json.loads((tmp_path / "lenet_hpo.ipynb").read_text())
    (tmp_path / "lenet_hpo.ipynb").write_text(json.dumps({**record, "cells": [banner]}))
    assert "| full | auto (bfloat16 on this machine) |" in _runs_table(tmp_path, ["lenet_hpo.ipynb"], tmp_path)
    noted = json.dumps({"cpu": "AMD EPYC", "precision": "float32"})
    with sqlite3.connect(tmp_path / "lenet_hpo.db") as c:  # trials that noted what they trained in
        c.execute("UPDATE trials SET user_attrs = ? WHERE number < 2", (noted,))
    assert "| full | float32 (2 of 3 trials noted it) |" in _runs_table(tmp_path, ["lenet_hpo.ipynb"], tmp_path)
    with sqlite3.connect(tmp_path / "lenet_hpo.db") as c:
        c.execute("UPDATE trials SET user_attrs = ?", (noted,))
    assert "| full | float32 |" in _runs_table(tmp_path, ["lenet_hpo.ipynb"], tmp_path)  # theirs, not the banner's


def test_trials_timed_across_a_pause_are_counted_and_said_to_be_set_aside_once_their_search_ran_again(tmp_path):
    import json
    import sqlite3
    from contextlib import closing

    from hpolib import Float, Space, SQLiteStorage, Study
    from hpolib.book.build import _stored_trials, _trial_time

    db = tmp_path / "iis_fanova.db"
    for name in ("a", "b"):
        Study(Space({"x": Float(0.0, 1.0)}), direction="minimize", storage=db, seed=0, name=name).optimize(
            lambda config, budget, report: config["x"], n_trials=6, progress=False)
    with sqlite3.connect(db) as c:  # trials of about 1 s per unit of budget, one of them paused for 2,400 s
        c.execute("UPDATE trials SET budget_used = 1, finished = started + 1 + number / 10")
        c.execute("UPDATE trials SET finished = started + 2400 WHERE study = 'a' AND number = 3")
    with sqlite3.connect(db) as c:  # a store written before trials had a cpu_seconds column
        c.execute("ALTER TABLE trials DROP COLUMN cpu_seconds")
    assert _trial_time(_stored_trials(tmp_path / "iis_fanova.ipynb")).endswith(
        "(1 timed across a pause: 40.0 min); no trial's CPU recorded")
    with closing(sqlite3.connect(db)) as c:  # read, not upgraded: a committed store stays as its run wrote it
        assert "cpu_seconds" not in {row[1] for row in c.execute("PRAGMA table_info(trials)")}
    storage = SQLiteStorage(db)
    storage.set_aside("a")
    storage.close()
    assert _trial_time(_stored_trials(tmp_path / "iis_fanova.ipynb")).endswith(
        "(1 timed across a pause: 40.0 min, all in searches set aside and run again); no trial's CPU recorded")
    noted = {"cpu": "AMD EPYC", "precision": "float32", "capability": "AVX2"}
    with sqlite3.connect(db) as c:  # two trials that noted where they ran
        c.execute("UPDATE trials SET user_attrs = ? WHERE study = 'b' AND number < 2", (json.dumps(noted),))
    assert _trial_time(_stored_trials(tmp_path / "iis_fanova.ipynb")).endswith(
        "; 2 on AMD EPYC in float32, 10 with no CPU recorded")


def tiny_notebook(folder):
    """A notebook that takes the executor's parameters, as a chapter does."""
    import nbformat

    book = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('profile = "smoke"\noutput_dir = None\nexecutor = None\nexecutor_config = None\n'
                                  'executor_insecure = False', metadata={"tags": ["parameters"]})],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(book, folder / "tiny.ipynb")


def test_executor_options_reach_the_notebook_as_parameters(tmp_path, monkeypatch, capsys):
    import shutil as files

    tiny_notebook(tmp_path)
    monkeypatch.setattr("hpolib.book.runner.NOTEBOOKS", tmp_path)
    given = []

    def execute_notebook(source, target, parameters, **options):  # what papermill is asked to run
        given.append(parameters)
        files.copy(source, target)

    monkeypatch.setattr("papermill.execute_notebook", execute_notebook)
    out = tmp_path / "out"
    assert main(["run", "tiny", "--profile", "smoke", "--output", str(out), "--executor", "processes:2"]) == 0
    (tmp_path / "cluster.yaml").write_text("queue: cpu\ncores: 4\nmemory: 8GB\nwalltime: '01:00:00'\njobs: 2\n")
    monkeypatch.setattr("shutil.which", lambda name: f"/usr/bin/{name}")  # sbatch, as on a login node
    assert main(["run", "tiny", "--profile", "smoke", "--output", str(out), "--executor", "slurm",
                 "--executor-config", str(tmp_path / "cluster.yaml")]) == 0
    assert main(["run", "tiny", "--profile", "smoke", "--output", str(out)]) == 0
    assert given == [
        {"executor": "processes:2", "profile": "smoke", "output_dir": "."},
        {"executor": "slurm", "executor_config": "../../cluster.yaml", "profile": "smoke", "output_dir": "."},
        {"profile": "smoke", "output_dir": "."},  # the notebook's own default: serial
    ]


@pytest.mark.parametrize("arguments, message", [
    (["--executor", "threads:2"], "executor must be one of serial, processes:N, dask, dask:N, dask://HOST:PORT"),
    (["--executor", "tcp://10.1.2.3:8786"], "is on another machine and tcp:// is neither encrypted"),
    (["--executor-config", "cluster.yaml"], "--executor-config and --executor-insecure go with --executor"),
    (["--executor", "slurm"], "executor 'slurm' needs executor_config"),
    (["-p", "executor=dask"], "executor is not set with -p: give it as --executor"),
    (["--baseline", "--executor", "dask"], "a baseline runs its trials serially: give no --executor"),
])
def test_a_bad_executor_is_refused_before_running(arguments, message, tmp_path, monkeypatch, capsys):
    tiny_notebook(tmp_path)
    monkeypatch.setattr("hpolib.book.runner.NOTEBOOKS", tmp_path)
    monkeypatch.setattr("hpolib.book.runner.BASELINES", tmp_path / "baselines")
    with pytest.raises(SystemExit):
        main(["run", "tiny", "--profile", "smoke", "--output", str(tmp_path / "out"), *arguments])
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists() and not (tmp_path / "baselines").exists()  # nothing ran


def test_published_profiles_refuse_uncommitted_code_unless_told_and_say_so(tmp_path, monkeypatch):
    import subprocess

    from hpolib.book import provenance

    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path, check=True,
                       capture_output=True)

    (tmp_path / "hpolib").mkdir()
    (tmp_path / "hpolib" / "rule.py").write_text("A = 1\n")
    (tmp_path / "book.md").write_text("prose\n")
    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "first")
    monkeypatch.setattr(provenance, "ROOT", tmp_path)
    provenance.check_clean("full")  # a clean tree runs
    (tmp_path / "book.md").write_text("prose edited\n")  # prose does not decide a number
    provenance.check_clean("full")
    assert not provenance.commit().endswith("+")
    (tmp_path / "hpolib" / "rule.py").write_text("A = 2\n")
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "new.ipynb").write_text("{}")
    assert provenance.uncommitted() == ["hpolib/rule.py", "notebooks/"]
    assert provenance.commit().endswith("+")
    for profile in ("full", "paper"):
        with pytest.raises(ValueError, match=f"the {profile} profile .* uncommitted: hpolib/rule.py, notebooks/. "
                                             "Commit them, or give --allow-dirty"):
            provenance.check_clean(profile)
    provenance.check_clean("quick")  # profiles that publish nothing run from any tree
    provenance.check_clean("full", allow_dirty=True)
    with pytest.raises(ValueError, match="uncommitted: hpolib/rule.py"):
        run("lenet_hpo", "full", output=tmp_path / "out")  # refused before anything runs
    assert not (tmp_path / "out").exists()


def test_an_image_folder_digest_changes_with_any_image_or_label(tmp_path):
    from hpolib.book.provenance import folder_digest

    (tmp_path / "cat").mkdir()
    (tmp_path / "dog").mkdir()
    (tmp_path / "cat" / "0.jpg").write_bytes(b"\x01\x02")
    first = folder_digest(tmp_path)
    assert first == folder_digest(tmp_path) and len(first) == 32
    (tmp_path / "cat" / "0.jpg").rename(tmp_path / "dog" / "0.jpg")  # same bytes, another label
    assert folder_digest(tmp_path) != first
    (tmp_path / "dog" / "0.jpg").rename(tmp_path / "cat" / "0.jpg")
    assert folder_digest(tmp_path) == first
    (tmp_path / "cat" / "0.jpg").write_bytes(b"\x01\x03")
    assert folder_digest(tmp_path) != first


@pytest.mark.slow
def test_a_chapter_runs_its_searches_on_a_two_worker_local_cluster_with_the_serial_runs_trials(tmp_path):
    import json

    import pandas as pd

    pytest.importorskip("distributed")
    shrunk = ["-p", "methods=['random']", "-p", "headline_seeds=[0]"]  # one study: random search, seed 0
    for executor, folder in ((["--executor", "dask:2"], "dask"), ([], "serial")):
        assert main(["run", "lenet_hpo", "--profile", "smoke", "--output", str(tmp_path / folder),
                     *shrunk, *executor]) == 0
    trials = {folder: pd.read_csv(tmp_path / folder / "smoke" / "lenet_hpo_trials.csv")
              for folder in ("dask", "serial")}
    shown = ["number", "c1", "c3", "c5", "f6", "state", "value"]
    on_cluster = trials["dask"].sort_values("number")[shown].reset_index(drop=True)
    assert len(on_cluster) > 1 and on_cluster.state.eq("complete").all()
    # random search asks in the same order whoever finishes first, and each training is seeded: the same trials
    pd.testing.assert_frame_equal(on_cluster, trials["serial"].sort_values("number")[shown].reset_index(drop=True))
    provenance = json.loads((tmp_path / "dask" / "smoke" / "lenet_hpo_provenance.json").read_text())
    assert provenance["command"].endswith("--executor dask:2")  # the command that reruns it, where it ran


def test_the_book_reads_a_chapter_s_precision_from_its_banner_old_and_new():
    from hpolib.book.build import _precision
    from hpolib.book.profiles import banner, resolve

    def executed(text):
        return {"cells": [{"outputs": [{"data": {"text/plain": text}}]}]}

    now = str(banner("iis_fanova", "full", resolve("iis_fanova", "full", {})))
    assert _precision(executed(now)) == now.split("; arithmetic ")[1].rstrip(".")  # "auto (bfloat16 on ...)"
    assert _precision(executed("at profile 'full' (a CPU-sized run): seeds=[0, 1], precision=auto (float32 here)")) \
        == "auto (float32 here)"
    assert _precision(executed("nothing of the kind")) == "float32"
