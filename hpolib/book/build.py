"""Build the Jupyter Book of one profile from the notebooks that profile executed.

``python -m hpolib book --profile quick`` stages ``_config.yml``, ``_toc.yml``,
``book/`` and the executed notebooks (``runs/book/<profile>/``; for ``smoke``,
the nbval baselines in ``tests/notebooks/``) into ``_build/<profile>/src`` and
builds it with warnings as errors into ``_build/<profile>/_build/html``. The
book never executes a notebook, and each profile has its own book.

``python -m hpolib book --profile quick --browser`` then opens every page in
headless Chromium (Debian's ``chromium`` and ``chromium-driver``, driven by
Selenium) and checks each page as a reader meets it (every figure drawn, no
block wider than the text column, no nan, raw glue role or traceback), saving
a full-page screenshot of each chapter beside the HTML.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import cast

import numpy as np

from ..storage import SET_ASIDE, snapshot
from ..study import ResumedTrialWarning
from ..trial import Trial
from . import benchmark_tables, claims, cost, provenance
from .sources import SOURCES
from .verdicts import RULES
from .paths import BASELINES, NOTEBOOKS, OUTPUT, ROOT

__all__ = ["build", "check_in_browser"]


def build(profile: str = "quick", executed: str | Path | None = None, output: str | Path = "_build") -> Path:
    """Build the book of ``profile``; return the folder of its HTML.

    Parameters
    ----------
    profile : str
    executed : path or None
        Folder of the executed notebooks (default: where ``python -m hpolib run`` writes that profile's).
    output : path
        Build folder; the book goes to ``<output>/<profile>``.
    """
    executed = Path(executed) if executed else (BASELINES if profile == "smoke" else OUTPUT / profile)
    wanted = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    missing = [name for name in wanted if not (executed / name).exists()]
    if missing:
        raise ValueError(f"no executed {', '.join(missing)} in {executed}: run "
                         f"`python -m hpolib run all --profile {profile}` first")
    target = Path(output) / profile
    stage = target / "src"
    shutil.rmtree(stage, ignore_errors=True)
    (stage / "notebooks").mkdir(parents=True)
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(ROOT / name, stage / name)
    shutil.copytree(ROOT / "book", stage / "book")
    rows = claims.ledger(executed) if executed == BASELINES else json.loads(claims.write(executed).read_text())
    for name in wanted:
        box = _claims_box([r for r in rows if r["chapter"] == name.removesuffix(".ipynb")], _sections(executed / name))
        (stage / "notebooks" / name).write_text(_presented(executed / name, NOTEBOOKS / name, box))
    studies = [f"{doc.removeprefix('notebooks/')}.ipynb" for doc in _chapters() if doc.startswith("notebooks/")]
    (stage / "book" / "_this_book.md").write_text(_runs_table(stage / "notebooks", studies, stores=executed)
                                                    + "\n" + _provenance_table(executed, studies))
    results = ROOT / "benchmarks" / "results"
    (stage / "book" / "_throughput.md").write_text(_throughput_tables(results))
    (stage / "book" / "_gpu_hours.md").write_text(cost.gpu_hours_table(results))
    for name in benchmark_tables.OPTIMIZER_SETS:
        (stage / "book" / f"_optimizers_{name}.md").write_text(benchmark_tables.optimizer_tables(results, name))
        for family in benchmark_tables.OPTIMIZER_FAMILIES:
            figure = results / benchmark_tables.figure_name(name, family)
            if figure.exists():
                shutil.copy(figure, stage / "book" / figure.name)
    (stage / "book" / "_schedulers.md").write_text(benchmark_tables.scheduler_tables(results))
    (stage / "book" / "_hypergrad.md").write_text(benchmark_tables.hypergrad_table(results))
    (stage / "book" / "_lenet_table.md").write_text(benchmark_tables.lenet_table_tables(results))
    (stage / "book" / "_lenet_table_card.md").write_text(_lenet_table_card())
    if (results / "lenet_table_anytime.png").exists():
        shutil.copy(results / "lenet_table_anytime.png", stage / "book" / "lenet_table_anytime.png")
    for page in claims.BOOK_PAGES:
        mine = [r for r in rows if r["chapter"] == page]
        tests = benchmark_tables.claim_tests(mine)
        (stage / "book" / f"_{page}_claims.md").write_text(
            _claims_box(mine, _sections(stage / _page_file(page))) + "\n"
            + (f"The tests these verdicts rest on (one-sided exact Wilcoxon signed-rank over paired seeds or "
               f"problems, Holm-corrected within a claim):\n\n{tests}" if tests else ""))
    for name in benchmark_tables.LANDSCAPE_SETS:
        (stage / "book" / f"_landscape_{name}.md").write_text(benchmark_tables.landscape_tables(results, name))
    if (results / "schedulers_regret_seeds0.png").exists():
        shutil.copy(results / "schedulers_regret_seeds0.png", stage / "book" / "schedulers_regret.png")
    before = executed / "claims_before_one_rule.json"
    sections = {chapter: _sections(stage / _page_file(chapter)) for chapter in (*claims.BOOK_PAGES, *NOTEBOOK_CHAPTERS)}
    (stage / "book" / "_claims.md").write_text(_claims_tables(rows, profile, sections) + (
        _moved(json.loads(before.read_text()), rows) if before.exists() else ""))
    (stage / "book" / "_summary.md").write_text(_summary(rows, profile))
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(stage), "--path-output", str(target),
               "-W", "-n", "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the book of profile {profile!r} did not build:\n"
                           f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return target / "_build" / "html"


PRESENTATION = ("remove-cell", "remove-input", "remove-output", "hide-input", "hide-output", "hide-cell")


def _presented(executed: Path, source: Path, box: str = "") -> str:
    """The executed notebook with the presentation tags of its source's cells (matched by cell id), so a page
    shows what the source says to show even when it was executed before the tags changed; the parameters cell and
    papermill's injected one are removed (they hold the defaults and the overrides, not the settings: the banner
    says those), and so are notices that a resumed run restarted a trial (the executed notebook keeps them);
    ``box``, the chapter's claims, follows its opening cell."""
    notebook = json.loads(executed.read_text())
    if box:
        notebook["cells"].insert(1, {"cell_type": "markdown", "id": "claims-tested-here", "metadata": {},
                                     "source": box})
    tags = {c.get("id"): set(c.get("metadata", {}).get("tags", [])) & set(PRESENTATION)
            for c in json.loads(source.read_text())["cells"]}
    for cell in notebook["cells"]:
        own = [t for t in cell.get("metadata", {}).get("tags", []) if t not in PRESENTATION]
        plumbing = {"parameters", "injected-parameters"} & set(own)
        wanted = tags.get(cell.get("id"), set()) | ({"remove-cell"} if plumbing else set())
        cell.setdefault("metadata", {})["tags"] = own + sorted(wanted)
        if "outputs" in cell:
            cell["outputs"] = [output for output in cell["outputs"] if not _resume_notice(output)]
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def _resume_notice(output: dict) -> bool:
    """Whether ``output`` is stderr holding only :class:`~hpolib.study.ResumedTrialWarning` notices (and the source
    line Python prints under each; a notebook executed before the class existed printed them as ``UserWarning``)."""
    if output.get("name") != "stderr":
        return False
    said = [line for line in "".join(output.get("text", "")).splitlines() if line and not line.startswith(" ")]
    return bool(said) and all(line.endswith(ResumedTrialWarning.SAID) for line in said)


def _runs_table(folder: Path, names: list[str], stores: Path) -> str:
    """A Markdown table of how each notebook in ``folder`` was executed, from papermill's record in it, and the
    training time its SQLite store in ``stores`` recorded (a chapter resumed from its store re-reads finished
    trials, so its last execution can take seconds after hours of training)."""
    rows = ["| chapter | profile | precision | executed (UTC) | last execution | trials in its store |",
            "|---|---|---|---|---|---|"]
    for name in names:
        notebook = json.loads((folder / name).read_text())
        record = notebook["metadata"].get("papermill", {})
        profile = record.get("parameters", {}).get("profile", "?")
        studies = _stored_trials(stores / name)
        rows.append(f"| {{doc}}`../notebooks/{name.removesuffix('.ipynb')}` | {profile} "
                    f"| {_trained_in(studies or {}) or _precision(notebook)} "
                    f"| {(record.get('start_time') or '?')[:16].replace('T', ' ')} "
                    f"| {_duration(record.get('duration') or 0.0)} | {_trial_time(studies)} |")
    return "\n".join(rows) + "\n"


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min" if seconds < 7200 \
        else f"{seconds / 3600:.1f} h"


def _stored_trials(notebook: Path) -> dict[str, list[Trial]] | None:
    """Every study's trials in a chapter's SQLite store (``<chapter>.db`` beside ``notebook``), read from a copy
    (the committed store stays as its run wrote it); ``None`` for a chapter that keeps no store."""
    db = notebook.with_suffix(".db")
    if not db.exists():
        return None
    with snapshot(db) as storage:
        return {name: storage.trials(name) for name in storage.study_names()}


def _trial_time(stored: dict[str, list[Trial]] | None) -> str:
    """A chapter's stored trials (:func:`_stored_trials`): how many, their summed time from start to finish, and
    how many of them were timed across a pause (:func:`timed_across_a_pause`), saying when those all lie in
    studies set aside and run again (:meth:`hpolib.storage.SQLiteStorage.set_aside`); a dash for a chapter that
    keeps no store."""
    if stored is None:
        return "–"
    studies = {name: [t for t in trials if t.duration is not None] for name, trials in stored.items()}
    durations = [cast(float, t.duration) for trials in studies.values() for t in trials]
    paused = {name: [cast(float, t.duration) for t in timed_across_a_pause(trials)] for name, trials in studies.items()}
    seconds = [d for found in paused.values() for d in found]
    aside = all(name.startswith(SET_ASIDE) for name, found in paused.items() if found)
    across = (f" ({len(seconds)} timed across a pause: {_duration(sum(seconds))}"
              f"{', all in searches set aside and run again' if aside else ''})") if seconds else ""
    return f"{len(durations):,} trials, {_duration(sum(durations))}{across}; {_machines(studies)}"


def _trained_in(studies: dict[str, list[Trial]]) -> str:
    """The arithmetic a chapter's stored trials (:func:`_stored_trials`) noted they trained in, most trials first,
    with how many noted it when not all did ("" when none did). A page executed again from its store on another
    machine gives that machine's arithmetic in its banner; the trials keep theirs."""
    trials = [t for found in studies.values() for t in found]
    noted = Counter(t.user_attrs["precision"] for t in trials if "precision" in t.user_attrs)
    said, count = ", ".join(precision for precision, _ in noted.most_common()), noted.total()
    return said if count in (0, len(trials)) else f"{said} ({count:,} of {len(trials):,} trials noted it)"


def _machines(studies: dict[str, list[Trial]]) -> str:
    """Where a store's trials ran, from what each noted in its ``user_attrs`` (its CPU and arithmetic), with how
    many noted nothing (trials run before training trials noted it, or by objectives that do not)."""
    ran = Counter(f"{t.user_attrs['cpu']} in {t.user_attrs['precision']}" if "cpu" in t.user_attrs else None
                  for trials in studies.values() for t in trials)
    unknown = ran.pop(None, 0)
    if not ran:
        return "no trial's CPU recorded"
    return ", ".join([f"{n:,} on {where}" for where, n in ran.most_common()]
                     + ([f"{unknown:,} with no CPU recorded"] if unknown else []))


PAUSE_FACTOR, PAUSE_SECONDS = 5, 300


def timed_across_a_pause(trials: list[Trial]) -> list[Trial]:
    """The trials of one study whose wall time a pause of the machine inflated: at least ``PAUSE_FACTOR`` times
    the study's median seconds per unit of budget spent and ``PAUSE_SECONDS`` beyond it. A configuration that is
    merely slow (a wide network, a small batch) stays within a few times the median; a trial that spanned a
    stopped process does not. (Over the published stores this finds the four LCM searches a pause inflated and
    one IIS trial, and no trial of the LeNet chapter's 1,481.)"""
    timed = [t for t in trials if t.duration is not None and t.cost > 0]
    if len(timed) < 3:
        return []
    median = float(np.median([cast(float, t.duration) / t.cost for t in timed]))
    return [t for t in timed if cast(float, t.duration) > PAUSE_FACTOR * median * t.cost
            and cast(float, t.duration) - median * t.cost > PAUSE_SECONDS]


def _claims_box(rows: list[dict], sections: set[str]) -> str:
    """A chapter's "Claims tested here": per claim its verdict, the claim, the number it rests on, a link to the
    section that measures it (where the chapter has it) and one to its ledger entry."""
    if not rows:
        return ""
    lines = ["```{admonition} Claims tested here", ":class: tip", ""]
    for r in rows:
        where = f' <a href="#{r["section"]}">Where it is measured</a> ·' if r["section"] in sections else ""
        lines.append(f"- **{r['verdict'].capitalize()}**: {r['claim']} {_key_number(r)}{where} "
                     f"{{ref}}`Ledger entry <{_claim_label(r['id'])}>`")
    return "\n".join([*lines, "```", ""])


def _key_number(row: dict) -> str:
    """The number a verdict rests on, in a few words: its first interval or test, and the seeds."""
    seeds = f"{row['seeds']} seed{'s' * (row['seeds'] != 1)}"
    if row["interval"]:
        part = row["interval"][0]
        low, high = part["interval"]
        count = "{} of {}; ".format(*part["count"]) if "count" in part else ""
        return (f"({part['label']}: {count}{low:.3g} to {high:.3g}, {100 * part['confidence']:.3g} % interval, "
                f"{seeds}).")
    if row["test"]:
        part = row["test"][0]
        return f"({part['label']}: {part['wins']} of {part['n']}, p = {part['p']:.2g}, {seeds})."
    return f"({seeds})." if row["seeds"] else ""


def _summary(rows: list[dict], profile: str) -> str:
    """The intro's findings: per source, one sentence per claim (what the source said, the verdict, what it
    rests on), each linking to its ledger entry; then the verdict counts."""
    counts = claims.counts(rows)
    lines = [f"This copy of the book is the **`{profile}`** profile. What it found, claim by claim (each links to "
             "its entry in {doc}`claims`, where the evidence is shown per seed):", ""]
    for key in dict.fromkeys(r["source"] for r in rows):
        lines += [f"**{SOURCES[key].authors}** ({SOURCES[key].what}):", ""]
        lines += [f"- {_sentence(r)}" for r in rows if r["source"] == key]
        lines.append("")
    lines += ["| verdict | claims |", "|---|---|"]
    lines += [f"| {v} | {n} |" for v, n in counts.items() if n]
    return "\n".join(lines) + "\n"


def _sentence(row: dict) -> str:
    """A claim in one line: the claim, its verdict, the number it rests on with its seeds, and a link to its
    ledger entry."""
    number = _key_number(row)
    return (f"{row['claim']} **{row['verdict'].capitalize()}**{' ' + number if number else '.'} "
            f"{{ref}}`Evidence <{_claim_label(row['id'])}>`")


def _claim_label(claim_id: str) -> str:
    """The stable target of a claim's entry on the claims page."""
    return "claim-" + claim_id.replace(".", "-").replace("_", "-")


NOTEBOOK_CHAPTERS = ("lenet_hpo", "autolrs", "lcm_pbt", "iis_fanova")


def _sections(page: Path) -> set[str]:
    """The anchors of the section headings of a chapter (a Markdown page or a notebook), as Sphinx makes them."""
    from docutils.nodes import make_id

    if not page.exists():
        return set()
    if page.suffix == ".ipynb":
        text = "\n".join("".join(cell["source"]) for cell in json.loads(page.read_text())["cells"]
                          if cell["cell_type"] == "markdown")
    else:  # with the pages it includes (one level, a directive without options), whose headings are its too
        text = re.sub(r"^```\{include\} (\S+)\n```$",
                      lambda m: (page.parent / m[1]).read_text() if (page.parent / m[1]).exists() else "",
                      page.read_text(), flags=re.MULTILINE)
    return {make_id(line.lstrip("#").strip()) for line in text.splitlines() if re.match(r"#+ ", line)}


def _claims_tables(rows: list[dict], profile: str, sections: dict[str, set[str]] | None = None) -> str:
    """The ledger as Markdown: the rules (from :mod:`hpolib.book.verdicts`, so page and code agree), a count of
    verdicts, then per source one entry per claim: the quote, the verdict and its reason, the per-seed
    evidence, and a link to the chapter section that measures it."""
    counts = claims.counts(rows)
    lines = ["## The rules", "", *(f"- {text}" for text in RULES.values()), "",
             f"At the `{profile}` profile, of {len(rows)} claims: "
             + ", ".join(f"{n} {v}" for v, n in counts.items() if n) + ".", ""]
    for key in dict.fromkeys(r["source"] for r in rows):
        source = SOURCES[key]
        lines += [f"## {source.authors}: {source.what}", "", f"Source: {{cite:p}}`{source.cite}`.", ""]
        for r in (r for r in rows if r["source"] == key):
            lines += _claim_entry(r, sections)
    return "\n".join(lines)


def _moved(before: list[dict], rows: list[dict]) -> str:
    """What replacing the ledger's three earlier rules by the one rule changed: each claim whose verdict moved,
    that was split, restated or dropped, beside its earlier verdict (``claims_before_one_rule.json``)."""
    old = {r["id"]: r["verdict"] for r in before}
    new = {r["id"]: r["verdict"] for r in rows}
    lines = ["## What the one rule changed", "",
             "Until this ledger's rules were made one, three rules judged the claims, with different caps on "
             "seeds and tolerances the page did not list; claims were also restated in the sources' own words, "
             "split or dropped. Every row that moved:", "", "| claim | before | now |", "|---|---|---|"]
    for claim in dict.fromkeys([*old, *new]):
        if old.get(claim) != new.get(claim):
            lines.append(f"| `{claim}` | {old.get(claim, 'new claim')} | {new.get(claim, 'dropped or restated')} |")
    return "\n".join(lines) + "\n"


def _unquoted(r: dict) -> str:
    """Why a claim's entry quotes no sentence of its source: it restates the source's figures, or, where the source
    states no number, its point in the ledger's words (the slides' sentence is not on hand to quote)."""
    if r["source_value"] == "qualitative":
        return "no sentence of the source is quoted here: the claim restates the source's point in its own words"
    return "no sentence of the source is quoted here: the claim restates its figures"


def _page(chapter: str) -> str:
    """A chapter's page, from the book's root: ``book/<name>`` for a page of the book's own, else
    ``notebooks/<name>``."""
    return f"book/{chapter}" if chapter in claims.BOOK_PAGES else f"notebooks/{chapter}"


def _page_file(chapter: str) -> str:
    """The source file of a chapter's page, from the book's root: :func:`_page` with its suffix."""
    return _page(chapter) + (".md" if chapter in claims.BOOK_PAGES else ".ipynb")


def _claim_entry(r: dict, sections: dict[str, set[str]] | None = None) -> list[str]:
    """A claim's entry on the claims page. Its link to the section that measures it is checked against that
    chapter's headings (``sections``, where given): a measured claim whose section is missing stops the build; a
    claim not measured yet may name a section its chapter does not have yet, and is shown without the link."""
    quote = f"> “{r['source_quote']}”" if r["source_quote"] else f"> *({_unquoted(r)})*"
    page = f"../{_page(r['chapter'])}.html#{r['section']}"
    evidence = [f"{e['label']}: " + (", ".join(f"{v:.4g}" for v in e["values"]) if "values" in e else
                                     "; ".join(f"{a:.4g} vs {b:.4g}" for a, b in zip(e["first"], e["second"])))
                for e in r["per_seed"]]
    seeds = f"{r['seeds']} seed{'s' * (r['seeds'] != 1)}" if r["seeds"] else "no seeds"
    lines = [f"({_claim_label(r['id'])})=", f"### `{r['id']}`", "", quote, "", f"**Claim.** {r['claim']} "
             f"The source: {r['source_value']} ({r['source_scale']}).", "",
             f"**Measured by** {r['measure']}. Here: {r['our_scale'] or 'not run'} ({seeds}).", "",
             f"**Verdict: {r['verdict']}.** {r['reason']}.", ""]
    if evidence:
        lines += ["Per seed: " + " — ".join(evidence) + ".", ""]
    if r["resolution"]:
        lines += [f"Resolution: {r['resolution']}." + (f" CPU: {r['cpu']}." if r["cpu"] else ""), ""]
    if sections is not None and r["section"] not in sections.get(r["chapter"], set()):
        if r["verdict"] != "not measured":
            raise ValueError(f"claim {r['id']} links to section {r['section']!r}, which {_page(r['chapter'])} does "
                             "not have")
        return lines + ["Its section is not in this copy of the chapter yet.", ""]
    lines += [f'<a href="{page}">Where this is measured →</a>', ""]
    return lines


def _provenance_table(folder: Path, names: list[str]) -> str:
    """Where each chapter's numbers come from (``<name>_provenance.json``): a table of the software and machine,
    then per chapter its data with checksums and the command that reruns it; "not recorded" for notebooks
    executed before runs recorded it."""
    rows = ["| chapter | commit | Python, PyTorch, NumPy | CPU, threads |", "|---|---|---|---|"]
    details = []
    for name in names:
        stem = name.removesuffix(".ipynb")
        path = folder / f"{stem}_provenance.json"
        if not path.exists():
            rows.append(f"| {stem} | not recorded | | |")
            continue
        p = json.loads(path.read_text())
        commit = p["commit"] or "unknown"
        dirty = " with uncommitted changes" + (" (run with --allow-dirty)" if p.get("allow_dirty") else "")
        rows.append(f"| {stem} | `{commit[:12]}`{dirty if commit.endswith('+') else ''} "
                    f"| {p['python']}, {p['torch']}, {p['numpy']} | {p['cpu']}, {p['threads']} |")
        data = "; ".join(provenance.about(key) + (f", {d['images']:,} images" if "images" in d else "")
                         + "".join(f", `{f}` md5 `{h}`" for f, h in d.get("md5", {}).items())
                         for key, d in p["data"].items())  # described as now, whatever the record's words
        details += [f"**{stem}**: {data}.", "", "```bash", p["command"], "```", ""]
    return "\n".join(rows) + "\n\n" + "\n".join(details)


def _lenet_table_card() -> str:
    """The LeNet-5 table's data card (written beside the table when it is compiled) as a section of its page: its
    title the section's, its sections one level down."""
    from ..problems import LENET_TABLE

    card = LENET_TABLE.parent / "lenet_table.md"
    if not card.exists():
        return "## The table\n\nNot built yet: `python -m hpolib.studies.lenet_table` builds it, resumably.\n"
    text = re.sub(r"^(#+) ", lambda m: "#" * (len(m[1]) + 1) + " ", card.read_text(), flags=re.MULTILINE)
    return re.sub(r"^## .*$", "## The table", text, count=1, flags=re.MULTILINE)


def _throughput_tables(results: Path) -> str:
    """Markdown tables of ``training_throughput.json`` (precision and layout with peak shares, parity,
    parallelism) and of ``training_throughput_cuda.json``, the precision table on a GPU, where measured."""
    path = results / "training_throughput.json"
    if not path.exists():
        return "No training throughput measured yet: run `python benchmarks/training_throughput.py`.\n"
    measured = json.loads(path.read_text())
    lines = [f"Measured on {measured.get('cpu', 'an unnamed CPU')} with {measured['threads']} threads, PyTorch "
             f"{measured['torch']}; native bfloat16: {'yes' if measured.get('native_bfloat16') else 'no'}.", ""]
    lines += _precision_table(measured.get("precision", []), "a 2048 x 2048")
    parity = measured.get("parity")
    if parity:
        lines += [f"Accuracy parity ({parity['data']}, {parity['epochs']} epochs, LeNet-5): test accuracy "
                  + "; ".join(f"{k} " + ", ".join(f"{100 * a:.1f} %" for a in v)
                              for k, v in parity["test_accuracy"].items())
                  + f"; gap of means {100 * parity['mean_gap']:+.2f} pp, "
                  + ("within" if parity["within_spread"] else "outside") + " the spread over seeds.", ""]
    for row in measured.get("parallelism", []):
        lines.append(f"- {row['task']}, {row['trials']} trials of {row['epochs']} epochs: two at a time with one "
                     f"thread each runs {row['parallel_speedup']:.2f}x the trials per second of one at a time.")
    gpu = results / "training_throughput_cuda.json"
    if gpu.exists():
        on_gpu = json.loads(gpu.read_text())
        lines += ["", f"On a GPU: {on_gpu['gpu']}, PyTorch {on_gpu['torch']}.", ""]
        lines += _precision_table(on_gpu.get("precision", []), "an 8192 x 8192")
    return "\n".join(lines) + "\n"


def _precision_table(rows: list[dict], peak_size: str) -> list[str]:
    """The precision and layout table: images/s, speed-up over float32 and share of peak per network and variant."""
    if not rows:
        return []
    lines = ["| network | precision and layout | images/s | vs float32 | share of peak |", "|---|---|--:|--:|--:|"]
    lines += [f"| {r['network']} | {r['variant']} | {r['images_per_s']:,.0f} | {r['speedup']:.2f}x "
              f"| {_share(r['peak_share'])} |" for r in rows]
    peaks = {r["variant"].split()[0]: r["peak_gflops"] for r in rows}
    return lines + ["", f"Peak: {peak_size} matrix product, "
                    + ", ".join(f"{v:,.0f} GFLOP/s in {k}" for k, v in peaks.items()) + ".", ""]


def _share(share: float) -> str:
    """A share of the peak in per cent, with a decimal below 10 % and "< 0.1 %" below that."""
    percent = 100 * share
    return "< 0.1 %" if percent < 0.1 else f"{percent:.1f} %" if percent < 10 else f"{percent:.0f} %"


def _precision(notebook: dict) -> str:
    """The precision a notebook trained in, from its banner ("arithmetic auto (bfloat16 on this machine)", or
    "auto (bfloat16 here)" and "precision=auto (...)" as banners once said it; float32: notebooks run before it
    had the knob)."""
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            text = "".join(output.get("text", "")) + "".join(output.get("data", {}).get("text/plain", ""))
            found = re.search(r"at profile '\w+' .*(?:precision=|; arithmetic )([\w ()]+)", text)
            if found:
                return found.group(1).strip()
    return "float32"


def _chapters() -> list[str]:
    """The chapters of ``_toc.yml`` in order, as paths without suffix (``notebooks/lenet_hpo``)."""
    return re.findall(r"- file: (\S+)", (ROOT / "_toc.yml").read_text())


def _pages(html: Path) -> list[Path]:
    """The book's pages in table-of-contents order: the entry (``index.html``, which leads to the root page), the
    root page, then every chapter."""
    root = re.findall(r"^root: (\S+)", (ROOT / "_toc.yml").read_text(), re.M)
    return [html / "index.html"] + [html / f"{name}.html" for name in [*root, *_chapters()]]


_READING_PROBLEMS = """
const problems = [];
const shown = (e) => e.checkVisibility({checkVisibilityCSS: true}) && e.getBoundingClientRect().height > 0;
const scrolls = (e) => ["auto", "scroll", "hidden"].includes(getComputedStyle(e).overflowX);
const blocks = Array.from(document.querySelectorAll("article *")).filter(
    e => e.matches(".cell_output > div, pre, table, p") || scrolls(e));
for (const block of blocks) {
    if (shown(block) && block.scrollWidth > block.clientWidth + 1) {
        const text = block.innerText.trim().split("\\n")[0].slice(0, 60) || block.className;
        problems.push(`a block wider than the column (${block.scrollWidth} > ${block.clientWidth} px): ${text}`);
    }
}
const read = (selector) => Array.from(document.querySelectorAll(selector)).filter(shown).map(e => e.innerText);
const checks = [[read("article"), /\\{glue[:}]/, "a raw {glue} role"],
                [read("article .cell_output, article table"), /(^|[\\s(])nan([\\s,)%]|$)/im, "a nan"],
                [read("article"), /Traceback \\(most recent call last\\)/, "a traceback"]];
for (const [texts, pattern, what] of checks) {
    const text = texts.join("\\n"), found = text.match(pattern);
    if (found) {
        const at = Math.max(found.index - 40, 0);
        problems.push(`${what}: ...${text.slice(at, found.index + 40).replace(/\\s+/g, " ")}...`);
    }
}
return problems;
"""


_FIGURES = """
return Array.from(document.images).filter(i => i.closest("article")).map(
    i => [i.getAttribute("src"), i.complete && i.naturalWidth > 0, i.naturalWidth, i.getBoundingClientRect().width]);
"""

_SHOWS_ARTICLE = 'return document.querySelector("article") !== null;'

SHRUNK = 0.9
"""A figure shown at less than this share of the width it was drawn at has its text shrunk below what was set."""


def check_in_browser(html: str | Path, screenshots: str | Path | None = None) -> dict[str, dict[str, int]]:
    """Open every page of a built book in headless Chromium as a reader would; return, per page, how many figures,
    tables and links were checked.

    A figure counts as drawn when the browser finished loading it and it has a
    non-zero natural width. Raises ``RuntimeError`` naming every page that is
    missing, has an image the browser could not draw or shows one at less than
    :data:`SHRUNK` of the width it was drawn at (its text then reads smaller than
    drawn), has a link to a page or anchor that does not exist, has an output
    block, code block, table or paragraph wider than the text column at a 1280 px
    window (cut off, scrolled sideways, or run into the margin), or shows a raw
    ``{glue}`` role, a ``nan`` or a traceback.

    Parameters
    ----------
    html : path
        The book's HTML folder, as returned by :func:`build`.
    screenshots : path or None
        Folder for one full-page PNG per page (default ``<html>/../screenshots``).
    """
    driver_path, browser_path = shutil.which("chromedriver"), shutil.which("chromium")
    if not (driver_path and browser_path):
        raise RuntimeError("the browser check needs Chromium and its driver: "
                           "`apt-get install chromium chromium-driver` (Debian)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    html = Path(html).resolve()
    screenshots = Path(screenshots) if screenshots else html.parent / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = browser_path
    flags = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000")
    for flag in flags:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    checked, problems = {}, []
    try:
        for page in _pages(html):
            name = str(page.relative_to(html))
            if not page.exists():
                problems.append(f"{name}: no such page")
                continue
            if not _load(driver, page):
                problems.append(f"{name}: the browser showed no article, twice (a blank or crashed page)")
                continue
            figures = driver.execute_script(_FIGURES)
            problems += [f"{name}: {problem}" for problem in _figure_problems(figures)]
            links, broken = _links(page, html)
            problems += [f"{name}: a link to nowhere: {href}" for href in broken]
            problems += [f"{name}: {problem}" for problem in driver.execute_script(_READING_PROBLEMS)]
            tables = driver.execute_script('return document.querySelectorAll("article table").length;')
            checked[name] = {"figures": sum(ok for _, ok, *_ in figures), "tables": tables, "links": links}
            height = driver.execute_script("return document.documentElement.scrollHeight;")
            driver.set_window_size(1280, min(max(int(height), 1000), 16000))
            driver.save_screenshot(str(screenshots / f"{name.replace('/', '_').removesuffix('.html')}.png"))
            driver.set_window_size(1280, 1000)
    finally:
        driver.quit()
    if problems:
        raise RuntimeError("the book does not read as it should:\n" + "\n".join(problems))
    return checked


ARTICLE_WAIT = 20.0
"""Seconds a page may take to show its article before it is loaded again (a loaded machine's browser can return
from a first load before it has drawn anything)."""


def _load(driver, page: Path) -> bool:
    """Load ``page`` in ``driver``; whether the browser shows its article, if its file has one (the entry page
    only redirects), within :data:`ARTICLE_WAIT` seconds. A page that does not is loaded once more: figures
    counted on a blank page would be none, with no error to say why."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    expected = "<article" in page.read_text()
    for _ in range(2):
        driver.get(page.as_uri())
        if not expected:
            return True
        try:
            WebDriverWait(driver, ARTICLE_WAIT, poll_frequency=0.2).until(lambda d: d.execute_script(_SHOWS_ARTICLE))
            return True
        except TimeoutException:
            continue
    return False


def _figure_problems(figures: list) -> list[str]:
    """What is wrong with a page's figures (``[src, drawn, drawn width, shown width]`` each): not drawn, or shown
    narrower than :data:`SHRUNK` of their drawn width."""
    problems = [f"a figure not drawn: {src}" for src, ok, *_ in figures if not ok]
    return problems + [f"a figure shown at {shown / drawn:.0%} of its drawn width ({drawn} px drawn, {shown:.0f} "
                       f"shown; draw it at most {shown:.0f} px wide): {src}"
                       for src, ok, drawn, shown in figures if ok and 0 < shown < SHRUNK * drawn]


def _links(page: Path, html: Path) -> tuple[int, list[str]]:
    """How many links of ``page`` lead within the book, and those whose page or anchor does not exist."""
    from html.parser import HTMLParser
    from urllib.parse import unquote, urlsplit

    class Hrefs(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.hrefs: list[str] = []
            self.ids: set[str] = set()

        def handle_starttag(self, tag, attrs):
            attributes = dict(attrs)
            if tag == "a" and attributes.get("href"):
                self.hrefs.append(attributes["href"] or "")
            if attributes.get("id"):
                self.ids.add(attributes["id"] or "")

    def parsed(path: Path) -> Hrefs:
        reader = Hrefs()
        reader.feed(path.read_text(errors="replace"))
        return reader

    own, broken, count = parsed(page), [], 0
    pages: dict[Path, Hrefs] = {}
    for href in own.hrefs:
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or href.startswith(("mailto:", "javascript:")):
            continue
        count += 1
        target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
        if target.is_dir():
            target = target / "index.html"
        if not target.exists() or not target.is_relative_to(html.parent):
            broken.append(href)
        elif parts.fragment and target.suffix == ".html":
            ids = own.ids if target == page else pages.setdefault(target, parsed(target)).ids
            if unquote(parts.fragment) not in ids:
                broken.append(href)
    return count, broken
