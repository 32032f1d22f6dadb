"""pfk report (not built yet)."""

from __future__ import annotations

import typer


def report() -> None:
    """（尚未实现）"""
    raise typer.Exit(1)
