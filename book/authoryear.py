"""Sphinx extension of the book: the bibliography labelled 'Author, year' like the in-text citations."""

from pybtex.plugin import register_plugin
from pybtex.style.formatting.unsrt import Style
from pybtex.style.labels import BaseLabelStyle


class AuthorYearLabels(BaseLabelStyle):
    """'Li, 2018', 'Goulas and Hocquette, n.d.', 'Falkner et al., 2018'."""

    def format_labels(self, sorted_entries):
        for entry in sorted_entries:
            names = [" ".join(p.last_names).strip("{}") for p in entry.persons.get("author", [])]
            who = names[0] if len(names) == 1 else " and ".join(names) if len(names) == 2 else f"{names[0]} et al."
            yield f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearStyle(Style):
    default_label_style = AuthorYearLabels
    default_sorting_style = "author_year_title"


def setup(app):
    register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
