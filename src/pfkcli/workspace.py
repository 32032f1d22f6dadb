"""The workspace: a folder holding pfk.toml, playbooks/, callsheets/ and the history store.

Found by walking up from the current folder, as git finds its repository. With none, every command
still works on built-in defaults and the built-in playbooks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import history
from .config import CONFIG_TEMPLATE, Config, load_config
from .errors import ForeignHistory, LostHistory, OutputError, UsageError

CONFIG_NAME = "pfk.toml"
STATE_DIR = ".pfk"
HISTORY_NAME = "history.sqlite"
# Written beside the store when it is first opened: a store found empty where this is says history was lost.
STORE_MARK = "store-created.txt"
# The workspace's id, kept beside the store and in it (history.workspace_id): a store of another
# workspace — copied in, or restored from that team's backup — is told apart.
ID_NAME = "workspace-id.txt"

GITIGNORE = """\
# pfk 的历史库（回访记录、每周分层快照）只在本机，用 pfk backup 备份；不进 git。
.pfk/
# 平台导出的名单、学习记录，以及 pfk 写出的结果表、回访表、消息草稿、预警表和周报：
# 都有学员姓名和手机号，不进 git。进 git 的只有 pfk.toml 和 playbooks/。
*.xlsx
*.xls
*.csv
callsheets/
messages/
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
    def messages_dir(self) -> Path:
        """`messages/`: the WeChat drafts of `pfk messages` (they hold names: not in git)."""
        return (self.root or Path.cwd()) / "messages"

    @property
    def state_dir(self) -> Path | None:
        """`.pfk/`: what pfk keeps for itself (the history store); not in git."""
        return self.root / STATE_DIR if self.root else None

    @property
    def history_path(self) -> Path | None:
        return self.state_dir / HISTORY_NAME if self.state_dir else None

    @property
    def backups_dir(self) -> Path | None:
        return self.root / "backups" if self.root else None

    def backups(self) -> list[Path]:
        """The backups in `backups/`, newest first."""
        if self.backups_dir is None or not self.backups_dir.is_dir():
            return []
        return sorted(self.backups_dir.glob("*.sqlite"), key=lambda p: p.stat().st_mtime, reverse=True)

    def own_id(self) -> str | None:
        """The workspace's id as kept beside the store (None: not yet made)."""
        if self.state_dir is None:
            return None
        try:
            text = (self.state_dir / ID_NAME).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return text[:64] or None

    def _check_identity(self, conn, writable: bool) -> None:
        """Refuse a store holding another workspace's id; in a store or a folder without one, the
        other's id is written (a new id where neither has one)."""
        kept, stored = self.own_id(), history.workspace_id(conn)
        if kept is not None and stored is not None and kept != stored:
            raise ForeignHistory(foreign_history_message(self, stored, kept))
        if not writable:
            return
        if stored is None:
            import secrets

            stored = history.set_workspace_id(conn, kept or secrets.token_hex(8))
        if kept is None:
            try:  # made once: a run beside this one writes the same id, or has written it first
                with (self.state_dir / ID_NAME).open("x", encoding="utf-8") as handle:
                    handle.write(stored + "\n")
            except FileExistsError:
                pass

    def signs_of_history(self) -> list[str]:
        """What shows this workspace has had a history (empty: a new workspace)."""
        signs = []
        if self.state_dir is not None and (self.state_dir / STORE_MARK).exists():
            signs.append(f"{STATE_DIR}/{STORE_MARK} 记着历史库建于 {(self.state_dir / STORE_MARK).read_text(encoding='utf-8').strip()[:19]}")
        sheets = list(self.callsheets_dir.glob("*.xlsx")) if self.root and self.callsheets_dir.is_dir() else []
        if sheets:
            signs.append(f"callsheets/ 里有 {len(sheets)} 份回访表")
        backups = self.backups()
        if backups:
            signs.append(f"backups/ 里有 {len(backups)} 份备份")
        return signs

    def history_store(self, outside: str, no_history: str) -> Path:
        """The history store's path for a command that needs one, else UsageError: `outside` where there
        is no workspace, `no_history` where the store is missing and the workspace never had one. A store
        lost where the workspace had history is left for `open_history` to refuse (LostHistory)."""
        if self.history_path is None:
            raise UsageError(outside)
        if not self.history_path.exists() and not self.signs_of_history():
            raise UsageError(no_history)
        return self.history_path

    @contextmanager
    def open_history(self, read_only: bool = False) -> Iterator:
        """The history store, opened once for a command (None outside a workspace). A store that is
        missing, empty or overwritten where the workspace shows it had history stops the command,
        saying so and how to restore it — rather than silently starting an empty one.

        `read_only`: the command only reads (it still runs in a read-only workspace). A command that
        writes, in a workspace whose store cannot be written, stops at once saying so."""
        if self.history_path is None:
            yield None
            return
        signs = self.signs_of_history()
        if signs and not history.holds_history(self.history_path):
            raise LostHistory(lost_history_message(self, signs))
        locked = history.read_only(self.history_path)
        if locked is not None and not read_only:
            raise OutputError(read_only_message(f"{STATE_DIR}/" if locked == self.state_dir else f"{STATE_DIR}/{HISTORY_NAME}"))
        try:
            if read_only and self.history_path.exists():
                conn = history.open_for_reading(self.history_path)
                try:
                    self._check_identity(conn, writable=False)
                    yield conn
                finally:
                    conn.close()
                return
            with history.opened(self.history_path) as conn:
                mark = self.state_dir / STORE_MARK
                if not mark.exists():
                    import datetime as dt

                    mark.write_text(dt.datetime.now().isoformat(timespec="seconds") + "\n", encoding="utf-8")
                self._check_identity(conn, writable=True)
                yield conn
        except Exception as exc:
            # Damaged pages are found where they are read, anywhere in the command: one line, the restore.
            if history.is_damage(exc) or history.is_damage(exc.__cause__):
                raise LostHistory(damaged_history_message(self), detail=f"{type(exc).__name__}: {exc}") from exc
            raise


def lost_history_message(workspace: Workspace, signs: list[str]) -> str:
    state = "不见了" if not workspace.history_path.exists() else "是空的或已损坏"
    text = f"{STATE_DIR}/{HISTORY_NAME}（工作区的回访记录和分层快照）{state}，可这个工作区之前有过历史（{'；'.join(signs)}）。"
    text += "为了不在空的历史库上继续、让回访记录就此丢失，pfk 停了下来。"
    return text + _restore_advice(workspace)


def foreign_history_message(workspace: Workspace, theirs: str, ours: str) -> str:
    text = (
        f"{STATE_DIR}/{HISTORY_NAME} 是另一个工作区的历史库（工作区编号 {theirs}，本工作区是 {ours}），"
        "多半是从别的团队复制来的；pfk 停了下来，什么都没有改动。"
        f"若确定要把它作为本工作区的历史，运行 pfk restore {STATE_DIR}/{HISTORY_NAME} --adopt"
    )
    backups = workspace.backups()
    if backups:
        text += f"；否则用本工作区的备份恢复：pfk restore {backups[0].relative_to(workspace.root).as_posix()}"
    return text


def read_only_message(what: str) -> str:
    return (
        f"工作区的历史库是只读的（{what} 没有写入权限），这个命令要写入历史，没有运行；"
        f"请恢复写入权限（如 chmod u+w {STATE_DIR} {STATE_DIR}/{HISTORY_NAME}）后再试。只读的命令（pfk history、report、pool list、playbook show）照常可用"
    )


def damaged_history_message(workspace: Workspace) -> str:
    text = f"{STATE_DIR}/{HISTORY_NAME}（工作区的回访记录和分层快照）已损坏，读不出来；pfk 停了下来，什么都没有改动。"
    return text + _restore_advice(workspace)


def _restore_advice(workspace: Workspace) -> str:
    backups = workspace.backups()
    if backups:
        return f"请用最新的备份恢复：pfk restore {backups[0].relative_to(workspace.root).as_posix()}"
    return "没有找到备份（backups/ 为空）；若确定要从空的历史重新开始，运行 pfk restore --fresh"


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
