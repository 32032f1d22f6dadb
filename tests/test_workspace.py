"""The workspace: made without overwriting, found like git's, and its history guarded."""

from __future__ import annotations

import pytest

from pfkcli.errors import LostHistory
from pfkcli.workspace import find_workspace, init_workspace


def test_init_writes_the_files_once_and_never_over_a_teams_own(tmp_path):
    written = init_workspace(tmp_path)
    assert {p.relative_to(tmp_path).as_posix() for p in written} >= {"pfk.toml", ".gitignore", "playbooks/待回访.yaml"}
    (tmp_path / "pfk.toml").write_text("[plan]\ncalls_per_week = 30\n", encoding="utf-8")
    (tmp_path / "playbooks" / "待回访.yaml").unlink()
    again = init_workspace(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in again] == ["playbooks/待回访.yaml"]  # only what was missing
    assert find_workspace(tmp_path / "playbooks").config.plan.calls_per_week == 30


def test_a_new_workspace_opens_its_history_and_marks_it(tmp_path):
    init_workspace(tmp_path)
    workspace = find_workspace(tmp_path)
    assert workspace.signs_of_history() == []
    with workspace.open_history() as conn:
        assert conn is not None
    assert workspace.signs_of_history()[0].startswith(".pfk/store-created.txt 记着历史库建于")


def test_a_history_gone_from_a_workspace_that_had_one_is_refused(tmp_path):
    init_workspace(tmp_path)
    workspace = find_workspace(tmp_path)
    with workspace.open_history():
        pass
    workspace.history_path.unlink()
    with pytest.raises(LostHistory, match="若确定要从空的历史重新开始，运行 pfk restore --fresh"):
        with workspace.open_history():
            pass


def test_no_workspace_no_history(tmp_path):
    workspace = find_workspace(tmp_path)
    assert workspace.root is None
    with workspace.open_history() as conn:
        assert conn is None
