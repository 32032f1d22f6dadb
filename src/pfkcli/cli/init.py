"""pfk init [DIR] — create a workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import common


def init(
    folder: Annotated[Path, typer.Argument(help="工作区文件夹（默认当前文件夹）。")] = Path("."),
) -> None:
    """新建工作区：pfk.toml（课程与阈值设置）、playbooks/（话术与方案）、callsheets/、.gitignore。"""
    from ..workspace import init_workspace

    written = common.run(lambda: init_workspace(folder))
    for path in written:
        common.out.print(f"  写入 {path}")
    if not written:
        common.out.print(f"{folder} 已经是工作区，没有改动任何文件。")
    else:
        common.out.print(f"✓ 工作区已建好：{folder.resolve()}。建议 git init 后提交，全组共用 playbooks。")
