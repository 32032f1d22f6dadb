"""pfk alerts (not built yet)."""

from __future__ import annotations

import typer


def alerts() -> None:
    """（尚未实现）"""
    raise typer.Exit(1)
