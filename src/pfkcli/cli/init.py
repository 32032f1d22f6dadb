"""pfk init [DIR] — create a workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import common


def init(
    folder: Annotated[Path, typer.Argument(metavar="文件夹", help="工作区文件夹（默认当前文件夹）。")] = Path("."),
) -> None:
    """新建工作区：设置 pfk.toml、话术 playbooks/、回访表 callsheets/ 和 .gitignore。"""
    from ..workspace import init_workspace

    written = common.run(lambda: init_workspace(folder))
    for path in written:
        common.out.print(f"  写入 {path}")
    if not written:
        common.out.print(f"{folder} 已经是工作区，没有改动任何文件。")
    else:
        common.out.print(f"✓ 工作区已建好：{folder.resolve()}。建议 git init 后提交，全组共用 playbooks。")
