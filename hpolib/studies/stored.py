"""A chapter's results as one JSON file: written whole, read back into the same typed rows."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import MISSING, asdict, fields
from pathlib import Path
from typing import TypeVar

__all__ = ["Stored", "typed"]

S = TypeVar("S", bound="Stored")


def typed(kind: type, records: list) -> list:
    """``records`` as ``kind`` (dicts, as a results file holds them, are converted; a field with a default may be
    missing, one without may not)."""
    return [r if isinstance(r, kind) else
            kind(**{f.name: r[f.name] for f in fields(kind) if f.name in r or f.default is MISSING}) for r in records]


class Stored:
    """What a chapter's results dataclass inherits: :meth:`write` it as JSON, :meth:`read` it back."""

    def write(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(asdict(self), indent=1, default=float) + "\n")  # type: ignore[call-overload]

    @classmethod
    def read(cls: type[S], source: str | Path | Mapping) -> S:
        """From a results file or its parsed content; a key that is not a field is refused (a file of an older
        form), but one that starts with ``_`` (the ledger's ``_provenance``) is left aside."""
        data = source if isinstance(source, Mapping) else json.loads(Path(source).read_text())
        names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
        unknown = sorted(k for k in data if k not in names and not k.startswith("_"))
        if unknown:
            raise ValueError(f"not fields of {cls.__module__}.{cls.__name__}: {', '.join(unknown)}")
        return cls(**{name: data[name] for name in names if name in data})
