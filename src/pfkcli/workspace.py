"""The workspace: a folder holding pfk.toml, playbooks/, callsheets/ and the history store.

Found by walking up from the current folder, as git finds its repository. With none, every command
still works on built-in defaults and the built-in playbooks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .config import CONFIG_TEMPLATE, Config, load_config

CONFIG_NAME = "pfk.toml"
STATE_DIR = ".pfk"
HISTORY_NAME = "history.sqlite"

GITIGNORE = """\
# pfk 的历史库（回访记录、每周分层快照）只在本机，用 pfk backup 备份；不进 git。
.pfk/
# 生成的结果表、回访表、预警表和周报（含学员手机号，不进 git）
*.pfk.xlsx
callsheets/
*.alerts.xlsx
*.assign.xlsx
reports/
backups/
"""


@dataclass
class Workspace:
    root: Path | None  # None: no workspace, built-in defaults
    config: Config = field(default_factory=Config)

    @property
    def playbooks_dir(self) -> Path | None:
        return self.root / "playbooks" if self.root else None

    @property
    def callsheets_dir(self) -> Path:
        return (self.root or Path.cwd()) / "callsheets"

    @property
    def state_dir(self) -> Path | None:
        """`.pfk/`: what pfk keeps for itself (the history store); not in git."""
        return self.root / STATE_DIR if self.root else None

    @property
    def history_path(self) -> Path | None:
        return self.state_dir / HISTORY_NAME if self.state_dir else None


def find_workspace(start: Path | None = None) -> Workspace:
    """The nearest folder at or above `start` holding pfk.toml, or a default workspace."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        config_path = folder / CONFIG_NAME
        if config_path.is_file():
            return Workspace(folder, load_config(config_path))
    return Workspace(None)


def init_workspace(folder: Path) -> list[Path]:
    """Create a workspace in `folder`; never overwrites a file that is already there. Returns what it wrote."""
    from .playbooks import builtin_playbook_files

    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def write_new(path: Path, text: str) -> None:
        if not path.exists():
            path.write_text(text, encoding="utf-8")
            written.append(path)

    write_new(folder / CONFIG_NAME, CONFIG_TEMPLATE)
    write_new(folder / ".gitignore", GITIGNORE)
    for sub in ("playbooks", "callsheets"):
        (folder / sub).mkdir(exist_ok=True)
    for source in builtin_playbook_files():
        write_new(folder / "playbooks" / source.name, source.read_text(encoding="utf-8"))
    return written
