"""How a study notebook shows what it found: the scale callout at the top of a page, result tables as HTML.

Both render the same on every machine (no random ids), so the notebooks'
regression baselines can compare them exactly.

>>> import pandas as pd
>>> print(table(pd.DataFrame({"method": ["tpe"], "val_accuracy": [0.71512], "steps": [10560.0], "p": [None]})).data)
<table class="hpo-table">
<thead><tr><th>method</th><th>val accuracy</th><th>steps</th><th>p</th></tr></thead>
<tbody>
<tr><td>TPE</td><td>0.715</td><td>10,560</td><td>–</td></tr>
</tbody>
</table>
"""

from __future__ import annotations

import html
import numbers
from typing import cast

__all__ = ["Callout", "table", "number", "space_table", "FIGURES"]

FIGURES = {"figure.dpi": 88, "savefig.dpi": 88, "font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9,
           "legend.fontsize": 8, "xtick.labelsize": 8, "ytick.labelsize": 8}
"""Matplotlib settings of the study notebooks (``plt.rcParams.update(FIGURES)``): a figure 7.5 inches wide, the
widest a chapter draws, is drawn 660 px wide, the book's text column in a 1280 px window, so it is shown at the
size it was drawn and its smallest text (8 points) reads 9.8 px high."""


def number(value, digits: int = 3) -> str:
    """A cell's text: ``digits`` significant digits, whole thousands with separators, a dash for a missing value."""
    import pandas as pd

    if value is None or (not isinstance(value, (str, list, tuple, dict)) and pd.isna(value)):
        return "–"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return str(value)
    if abs(value) >= 10 ** digits or (float(value).is_integer() and abs(cast(float, value)) >= 1):
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


NAMED = ("method", "optimizer", "optimiser", "problem")
"""Columns whose values are ids the book has display names for (:func:`hpolib.book.names.name`)."""


def table(frame, digits: int = 3, index: bool = False, caption: str | None = None):
    """``frame`` as a compact HTML table (an ``IPython.display.HTML``): numbers to ``digits`` significant digits,
    a dash where a value is missing, underscores in column names shown as spaces (so a heading can wrap), and
    the ids in :data:`NAMED` columns by their display names; ``caption`` above it, saying what it shows."""
    from IPython.display import HTML

    from .names import name

    frame = frame.reset_index() if index else frame
    frame = frame.assign(**{c: [name(v) if isinstance(v, str) else v for v in frame[c]]
                            for c in frame.columns if c in NAMED})
    head = "".join(f"<th>{html.escape(str(c).replace('_', ' '))}</th>" for c in frame.columns)
    rows = "\n".join("<tr>" + "".join(f"<td>{html.escape(number(v, digits))}</td>" for v in row) + "</tr>"
                     for row in frame.itertuples(index=False))
    title = f"<caption>{html.escape(caption)}</caption>\n" if caption else ""
    return HTML(f'<table class="hpo-table">\n{title}<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n</tbody>\n'
                '</table>')


def space_table(space):
    """A search space as a reader reads it: one row per parameter with its display name
    (:func:`hpolib.book.names.name`), range or choices, scale, and when it is active."""
    import pandas as pd

    from ..space import Categorical, Int
    from .names import name

    rows = []
    for key, param in space.items():
        if isinstance(param, Categorical):
            values, scale = ", ".join(str(c) for c in param.choices), "choice"
        else:
            values = f"{number(param.low)} to {number(param.high)}"
            scale = ("log, " if param.log else "") + ("integer" if isinstance(param, Int) else "real")
        rows.append({"parameter": name(key), "range": values, "scale": scale,
                     "active": _condition(space, key, name)})
    return pd.DataFrame(rows)


def _condition(space, key: str, name) -> str:
    """When ``key`` is active, in words: "always", "conv layers ≥ 2", "kernel = rbf" or "layers in 1, 3"."""
    if key not in space.conditions:
        return "always"
    parent, allowed = space.conditions[key]
    values = sorted(allowed) if all(isinstance(v, int) for v in allowed) else list(allowed)
    if len(values) == 1:
        return f"{name(parent)} = {values[0]}"
    high = getattr(space[parent], "high", None)
    if values == list(range(values[0], values[-1] + 1)) and values[-1] == high:
        return f"{name(parent)} ≥ {values[0]}"
    return f"{name(parent)} in {', '.join(map(str, values))}"


class Callout(str):
    """A line of text that a notebook shows as a highlighted note (an admonition of the book's theme).

    It is a ``str``: printed, it is the plain line; displayed, the callout.
    """

    title: str = "Scale of this page"  # type: ignore[assignment]  # the heading, in place of str.title()

    @classmethod
    def titled(cls, text: str, title: str) -> Callout:
        """A callout of ``text`` under the heading ``title``.

        >>> note = Callout.titled("seeds 2.8 pp apart", "What the variants show")
        >>> note.title, str(note)
        ('What the variants show', 'seeds 2.8 pp apart')
        """
        made = cls(text)
        made.title = title
        return made

    def _repr_html_(self) -> str:
        return (f'<div class="admonition note"><p class="admonition-title">{html.escape(self.title)}</p>'
                f"<p>{html.escape(str(self), quote=False)}</p></div>")
