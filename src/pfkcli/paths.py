"""File names made from data (teacher and course names) go through `safe_name` only, and always land
inside their target folder."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from .errors import OutputError

_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
MAX_NAME = 60


def safe_name(text: object, fallback: str = "未命名", taken: set[str] | None = None) -> str:
    """A name that is one plain file name on Windows, macOS and Linux: `../../x` → `x`, `张/老师` → `张_老师`.

    With `taken` (names already given in this folder, updated here), two texts never share a name:
    after `x`, `../../x` becomes `x_2` — compared without case, as Windows and macOS compare file names.
    """
    name = "".join(ch for ch in str(text) if unicodedata.category(ch)[0] != "C")
    name = _FORBIDDEN.sub("_", name)
    # No leading `-` (read as an option by shell commands) nor formula signs.
    name = re.sub(r"\.{2,}", "_", name).strip(" ._").lstrip("-=+@ ._")
    name = name[:MAX_NAME].strip(" .")
    if not name or name.upper().split(".")[0] in _RESERVED:
        name = f"_{name}" if name else fallback
    if taken is not None:
        base, number = name, 1
        while name.casefold() in taken:
            number += 1
            name = f"{base}_{number}"
        taken.add(name.casefold())
    return name


def inside(folder: Path, file_name: str) -> Path:
    """`folder / file_name`, refusing anything that would resolve outside `folder`."""
    root = folder.resolve()
    target = (root / file_name).resolve()
    if target.parent != root:
        raise OutputError(f"{file_name}: 文件名不安全，已拒绝写出")
    return target
