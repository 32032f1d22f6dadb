"""The README's first screen is what the command prints today."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from ..conftest import SAMPLES

README = Path(__file__).parents[2] / "README.md"


def first_output_block() -> list[str]:
    """The `text` block after "What the first command prints", line by line."""
    text = README.read_text(encoding="utf-8")
    after = text[text.index("What the first command prints") :]
    block = re.search(r"```text\n(.*?)\n```", after, re.S).group(1)
    return [line.rstrip() for line in block.splitlines()]


def test_the_readme_first_screen_is_what_classify_prints(invoke, tmp_path):
    """`pfk classify samples/roster.xlsx --as-of 2026-11-23` from the repository's root, as the README
    runs it. A terminal shows the 提示 as a table (the README's); a pipe, one line each: the same
    places, texts and codes."""
    (tmp_path / "samples").mkdir()
    shutil.copy(SAMPLES / "roster.xlsx", tmp_path / "samples" / "roster.xlsx")
    result = invoke("classify", "samples/roster.xlsx", "--as-of", "2026-11-23")
    assert result.exit_code == 0, result.output
    shown = first_output_block()
    start = shown.index("提示：")
    end = next(i for i in range(start, len(shown)) if shown[i].startswith("└"))
    table = [row for row in shown[start + 1 : end] if row.startswith("│")]  # the header row is drawn in ┃
    hints = ["提示："]
    for row in table:
        place, message, code = (cell.strip() for cell in row.strip("│").split("│"))
        hints.append(f"  {place}: {message}  [{code}]")
    assert [line.rstrip() for line in result.stdout.splitlines()] == shown[:start] + shown[end + 1 :]
    assert result.stderr.splitlines() == hints
