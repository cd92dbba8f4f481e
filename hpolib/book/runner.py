"""Run study notebooks with papermill: ``python -m hpolib run lenet_hpo --profile quick -p 'seeds=[3]'``.

Each run writes the executed notebook, and whatever results it saves, to
``<output>/<profile>/`` (default ``runs/book/<profile>/``): profiles never
overwrite each other's results.

Where a chapter's trials run (``--executor``, :func:`hpolib.executors.from_spec`)
reaches the notebook as the parameters ``executor``, ``executor_config`` and
``executor_insecure``, given only when set: a notebook runs its trials
serially by default, and papermill only warns of a parameter a notebook does
not declare.
"""

from __future__ import annotations

import ast
import json
import multiprocessing
import os
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path

from .._checks import check_whole
from .paths import BASELINES, NOTEBOOKS, OUTPUT, ROOT
from .profiles import PROFILE_NAMES, PROFILES, resolve
from .provenance import PUBLISHED, check_clean, record

__all__ = ["NOTEBOOKS", "EXECUTOR_PARAMETERS", "NotebookFailed", "check", "check_checkout", "run", "run_many",
           "parse_parameter", "notebook_parameters", "executor_parameters"]


def check_checkout() -> None:
    """Stop with one clear error where the project's notebooks and book are not at hand."""
    if not (NOTEBOOKS.is_dir() and (ROOT / "_toc.yml").is_file()):
        raise ValueError(f"hpolib run and hpolib book need the project's checkout (notebooks/, book/, _toc.yml); "
                         f"none at {ROOT}: run them from the checkout's root")


def notebook_parameters(name: str) -> list[str]:
    """The parameter names of notebook ``name`` (its cell tagged ``parameters``)."""
    import papermill

    return sorted(papermill.inspect_notebook(str(_path(name))))


def _names() -> list[str]:
    return sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))


def _path(name: str) -> Path:
    path = NOTEBOOKS / f"{name}.ipynb"
    if not path.exists():
        known = _names()
        raise ValueError(f"unknown notebook {name!r}; known: {', '.join(known) or 'none'} (in {NOTEBOOKS})")
    return path


def parse_parameter(text: str) -> tuple[str, object]:
    """``"key=value"`` -> ``(key, value)``; the value as a Python literal when it is one, else a string."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"parameters are key=value, got {text!r}")
    try:
        return key.strip(), ast.literal_eval(value.strip())
    except (ValueError, SyntaxError):
        return key.strip(), value.strip()


EXECUTOR_PARAMETERS = ("executor", "executor_config", "executor_insecure")
"""The parameters of a notebook that runs its trials where ``--executor`` says."""


def check(name: str, profile: str, parameters: dict, baseline: bool = False, allow_dirty: bool = False,
          executor: str | None = None) -> dict:
    """The settings the notebook will run with (:func:`hpolib.book.profiles.resolve`; empty for a notebook without a
    profile); a ValueError naming what is wrong for what :func:`run` would refuse: an unknown notebook,
    profile or parameter, a parameter of the wrong type or out of range, ``profile``, ``output_dir`` or the executor's
    as parameters (they are ``run``'s arguments), a baseline that is not the smoke profile's defaults, or a published
    profile from uncommitted code without ``allow_dirty`` (:func:`hpolib.book.provenance.check_clean`), or an
    ``executor`` for a notebook that does not take one."""
    if profile not in PROFILE_NAMES:
        raise ValueError(f"profile must be one of {', '.join(PROFILE_NAMES)}, got {profile!r}")
    check_clean(profile, allow_dirty)
    for key, option in (("profile", "--profile"), ("output_dir", "--output"), ("executor", "--executor"),
                        ("executor_config", "--executor-config"), ("executor_insecure", "--executor-insecure")):
        if key in parameters:
            raise ValueError(f"{key} is not set with -p: give it as {option} (run's {option[2:]} argument)")
    valid = notebook_parameters(name)
    if executor not in (None, "serial") and "executor" not in valid:
        raise ValueError(f"{name} runs its trials serially: it takes no --executor (chapters that do: "
                         f"{', '.join(n for n in _names() if 'executor' in notebook_parameters(n))})")
    unknown = sorted(set(parameters) - set(valid))
    if unknown:
        raise ValueError(f"unknown parameters {unknown} for {name}; valid: {', '.join(valid)}")
    settings = resolve(name, profile, parameters) if name in PROFILES else {}
    if baseline and (profile != "smoke" or parameters):
        raise ValueError("a baseline is the smoke profile with its defaults: give no profile or parameters")
    return settings


def executor_parameters(spec: str | None, config: str | os.PathLike | None = None, insecure: bool = False,
                        folder: str | os.PathLike = ".") -> dict:
    """The notebook parameters that say where its trials run, checked (:func:`hpolib.executors.check_spec`): only
    those given; ``executor_config`` relative to ``folder``, where the notebook runs."""
    from ..executors import check_spec

    if spec is None:
        if config is not None or insecure:
            raise ValueError("--executor-config and --executor-insecure go with --executor")
        return {}
    check_spec(spec, config, insecure=insecure)
    given: dict = {"executor": spec}
    if config is not None:
        given["executor_config"] = os.path.relpath(Path(config).resolve(), Path(folder).resolve())
    if insecure:
        given["executor_insecure"] = True
    return given


def run(name: str, profile: str = "quick", parameters: dict | None = None, output: str | os.PathLike | None = None,
        progress: bool = True, baseline: bool = False, executor: str | None = None,
        executor_config: str | os.PathLike | None = None, executor_insecure: bool = False,
        allow_dirty: bool = False) -> Path:
    """Execute notebook ``name`` at ``profile`` with ``parameters``; return the executed notebook's path.

    ``executor``, ``executor_config`` and ``executor_insecure`` say where its trials run
    (:func:`hpolib.executors.from_spec`; default: the notebook's own, serial). The ``full`` and ``paper``
    profiles run only from committed code unless ``allow_dirty``, which their provenance then records.

    ``baseline=True`` writes the nbval regression baseline instead: the notebook executed at the
    ``smoke`` profile into ``tests/notebooks/``, its results in a temporary folder. The smoke profile
    trains in float64 (:mod:`hpolib.dl.precision`), so a baseline holds on any CPU and thread count.
    Everything is :func:`check`-ed before anything runs; a notebook that fails raises
    :class:`NotebookFailed` and leaves the previous executed notebook in place.
    """
    parameters = dict(parameters or {})
    settings = check(name, profile, parameters, baseline, allow_dirty, executor)
    if baseline:
        folder, results = BASELINES, None
    else:
        folder = Path(output or OUTPUT) / profile
        results = "."  # the notebook runs in its folder: a relative path keeps local paths out of what is published
    where = executor_parameters(executor, executor_config, executor_insecure, folder)
    if baseline and where:
        raise ValueError("a baseline runs its trials serially: give no --executor")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.ipynb"
    parameters = {key: list(value) if isinstance(value, tuple) else value  # papermill writes a tuple as a string
                  for key, value in parameters.items()}
    _execute(_path(name), target, {**parameters, **where, "profile": profile, "output_dir": results}, progress)
    if not baseline:
        from .claims import write

        datasets = [settings[k] for k in ("dataset", "cnn_dataset") if settings.get(k)]
        asked = {"executor": executor, "executor_config": executor_config, "executor_insecure": executor_insecure}
        provenance = record(name, profile, parameters, datasets, allow_dirty=allow_dirty and profile in PUBLISHED,
                            where={key: value for key, value in asked.items() if value})  # as given, to rerun it
        (folder / f"{name}_provenance.json").write_text(json.dumps(provenance, indent=1) + "\n")
        write(folder)  # the claims ledger of every result in the folder, this chapter's new ones included
    return target


def run_many(names: Sequence[str], profile: str = "quick", jobs: int = 1,
             **options) -> Iterator[tuple[str, Path | NotebookFailed, float]]:
    """:func:`run` every notebook of ``names`` at ``profile`` (``options`` as :func:`run` takes them), ``jobs``
    at a time; yield each one's name, executed notebook (or its :class:`NotebookFailed`) and seconds as it
    ends. A failed notebook does not stop the others.

    Several at once run in processes of their own, the machine's cores shared out among them (each kernel's
    ``OMP_NUM_THREADS``, unless it is set already). That pays where a chapter keeps few of its threads busy;
    it need not on few cores (the LeNet chapter's searches take 1.9 times as long on one thread as on two, so
    on 2 cores it bounds the whole run whenever it does not start first). A chapter's numbers are
    then those of its thread count, which float32 arithmetic can change in the last bits (the smoke profile's
    float64 baselines do not move). The claims ledger is written once more at the end, from every chapter's
    results, so that it holds all of them whichever ended last.
    """
    at_once = min(check_whole("jobs", jobs, 1), len(names))
    if at_once <= 1:
        for name in names:
            yield name, *_timed_run(name, profile, options)
        return
    fork = "fork" in multiprocessing.get_all_start_methods()  # a forked worker keeps the caller's settings
    threads = max(1, (os.cpu_count() or 1) // at_once)
    with ProcessPoolExecutor(at_once, mp_context=multiprocessing.get_context("fork" if fork else "spawn"),
                             initializer=_share_cores, initargs=(threads,)) as pool:
        running = {pool.submit(_timed_run, name, profile, {**options, "progress": False}): name for name in names}
        for done in as_completed(running):
            yield running[done], *done.result()
    if not options.get("baseline"):
        from .claims import write

        write(Path(options.get("output") or OUTPUT) / profile)


def _timed_run(name: str, profile: str, options: dict) -> tuple[Path | NotebookFailed, float]:
    started = time.perf_counter()
    try:
        outcome: Path | NotebookFailed = run(name, profile, **options)
    except NotebookFailed as failure:
        outcome = failure
    return outcome, time.perf_counter() - started


def _share_cores(threads: int) -> None:
    """A worker of :func:`run_many`: the kernels it starts use ``threads`` threads, unless told otherwise."""
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, str(threads))
    if "torch" in sys.modules:  # imported before the fork: the provenance reads its threads
        sys.modules["torch"].set_num_threads(int(os.environ["OMP_NUM_THREADS"]))


class NotebookFailed(RuntimeError):
    """A cell of a study notebook raised; the message is one line, the executed notebook is kept beside."""


def _execute(source: Path, target: Path, parameters: dict, progress: bool) -> None:
    """Execute ``source`` into ``target`` only if every cell runs: the run goes to ``<name>.running.ipynb``
    and replaces ``target`` at the end, so a failed run never overwrites a good one; it is kept as
    ``<name>.failed.ipynb`` instead.

    The kernel talks to papermill over IPC (local socket files), not TCP, so it has no unencrypted port to
    warn about, and makes its temporary files, its sockets among them, in a folder of its own removed after
    the run (a notebook given no ``output_dir`` writes its results to a temporary folder), so runs side by
    side never share a socket."""
    import papermill
    from papermill.exceptions import PapermillExecutionError
    from traitlets.config import Config

    running, failed = (target.with_suffix(f".{state}.ipynb") for state in ("running", "failed"))
    try:
        with _temporary_folder_for_kernel() as folder:  # its sockets too: a run of its own in the same folder
            papermill.execute_notebook(str(source), str(running), parameters=parameters, progress_bar=progress,
                                       cwd=str(target.parent), kernel_name="python3", config=Config(
                                           {"KernelManager": {"transport": "ipc", "ip": f"{folder}/kernel"}}))
    except BaseException as error:
        if running.exists():
            running.replace(failed)
        if not isinstance(error, PapermillExecutionError):
            raise
        cell, message = (textwrap.shorten(text, 70) for text in (error.source, error.evalue))
        raise NotebookFailed(f"{target.stem} failed at In [{error.exec_count}] ({cell}): {error.ename}: {message}; "
                             f"the failed run is {failed}, {target.name} is as it was") from None
    running.write_text(_without_local_paths(running.read_text(), source, target))
    running.replace(target)
    failed.unlink(missing_ok=True)


@contextmanager
def _temporary_folder_for_kernel() -> Iterator[str]:
    """Point ``TMPDIR``, which the kernel started meanwhile inherits, at a temporary folder; remove it after."""
    before = os.environ.get("TMPDIR")
    with tempfile.TemporaryDirectory(prefix="hpolib-run-") as folder:
        os.environ["TMPDIR"] = folder
        try:
            yield folder
        finally:
            if before is None:
                os.environ.pop("TMPDIR")
            else:
                os.environ["TMPDIR"] = before


def _without_local_paths(text: str, source: Path, target: Path) -> str:
    """An executed notebook whose papermill record names its input and output relative to the project (as
    ``notebooks/x.ipynb`` and the final name, not the temporary one), and whose printed output (a warning names
    the file it comes from) names project files relative to the project, not by this machine's absolute paths."""
    notebook = json.loads(text)
    record = notebook["metadata"].get("papermill", {})
    record["input_path"], record["output_path"] = (_relative(p) for p in (source, target))
    prefix = f"{ROOT}{os.sep}"
    for output in (o for cell in notebook["cells"] for o in cell.get("outputs", []) if "text" in o):
        lines = [output["text"]] if isinstance(output["text"], str) else output["text"]
        output["text"] = [line.replace(prefix, "") for line in lines]
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def _relative(path: Path) -> str:
    """``path`` relative to the project root where it lies inside it, else its name."""
    path = Path(path).resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name
