"""Progress of the long steps (reading a big workbook, aggregating a log, writing call sheets).

The core only announces steps; whoever runs it decides what to show. The CLI installs a hook that
draws rich progress bars on a terminal (see cli/common.py); with no hook, as in tests and library use,
a step costs nothing. Core modules must not depend on rich, so this module imports nothing of it.
A step announced inside another one, or from a worker thread, is part of what its caller shows (one
bar for 40 call sheets, not 40 spinners after it), so it shows nothing.

>>> with step("读取 roster.xlsx"):          # doctest: +SKIP
...     read()
>>> with step("写出回访表", total=40) as bar:  # doctest: +SKIP
...     for sheet in sheets:
...         write(sheet)
...         bar.advance()
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol


class Bar(Protocol):
    def advance(self, steps: int = 1) -> None: ...


class _Silent:
    def advance(self, steps: int = 1) -> None:
        pass


# hook(label, total) → a context manager yielding a Bar; `total` None: a step without a count.
Hook = Callable[[str, "int | None"], AbstractContextManager[Bar]]
_hook: Hook | None = None
_open = 0  # steps showing now (main thread only)


def install(hook: Hook | None) -> Hook | None:
    """Show steps through `hook` from now on (None: show nothing). Returns the hook it replaces."""
    global _hook
    previous, _hook = _hook, hook
    return previous


@contextmanager
def step(label: str, total: int | None = None) -> Iterator[Bar]:
    """Announce a step that may take a while; `advance()` the bar `total` times if it has a count."""
    global _open
    if _hook is None or _open or threading.current_thread() is not threading.main_thread():
        yield _Silent()
        return
    _open += 1
    try:
        with _hook(label, total) as bar:
            yield bar
    finally:
        _open -= 1
