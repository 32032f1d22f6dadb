"""The parsed playbooks kept in .pfk/: call sheets take them from there until a playbook file changes."""

from __future__ import annotations

import shutil

from pfkcli.outputs import CALLSHEET_SHEET
from pfkcli.playbooks import CACHE_NAME, load_playbooks
from pfkcli.workspace import find_workspace

from ..conftest import AS_OF, SAMPLES, read_sheet

OLD_HEADLINE = "重点挽留：让他重视课程、重新燃起学习热情，顺利结课。"
NEW_HEADLINE = "先约时间：周末打电话，问清楚不学的原因。"


def strategies(path) -> dict[str, str]:
    """Segment code → the 策略 cell of the call sheet's rows of that segment (all the same)."""
    header, *rows = read_sheet(path, CALLSHEET_SHEET)
    code_at, strategy_at = header.index("分层代码"), header.index("策略")
    return {row[code_at]: row[strategy_at] for row in rows}


def test_call_sheets_take_the_kept_playbooks_until_a_file_changes(invoke, tmp_path):
    shutil.copy(SAMPLES / "roster.xlsx", tmp_path / "roster.xlsx")
    invoke("init", ".")
    assert invoke("classify", "roster.xlsx", "--as-of", AS_OF).exit_code == 0
    assert (tmp_path / ".pfk" / CACHE_NAME).is_file()
    assert load_playbooks(find_workspace(tmp_path)).cached

    sheet = tmp_path / "callsheets" / f"王老师-{AS_OF}.xlsx"
    assert invoke("callsheet", "--teacher", "王老师", "--as-of", AS_OF).exit_code == 0
    assert strategies(sheet)["P_S-F_S-K_L"] == OLD_HEADLINE

    # A teacher rewrites the strategy: the next call sheet says so, without running classify again.
    playbook = tmp_path / "playbooks" / "P_S-F_S-K_L.yaml"
    playbook.write_text(playbook.read_text(encoding="utf-8").replace(OLD_HEADLINE, NEW_HEADLINE), encoding="utf-8")
    assert not load_playbooks(find_workspace(tmp_path)).cached
    assert invoke("callsheet", "--teacher", "王老师", "--as-of", AS_OF).exit_code == 0
    assert strategies(sheet)["P_S-F_S-K_L"] == NEW_HEADLINE


def test_a_damaged_cache_is_read_past(invoke, tmp_path):
    shutil.copy(SAMPLES / "roster.xlsx", tmp_path / "roster.xlsx")
    invoke("init", ".")
    invoke("classify", "roster.xlsx", "--as-of", AS_OF)
    kept = tmp_path / ".pfk" / CACHE_NAME
    kept.write_text('{"digest": "', encoding="utf-8")

    assert invoke("callsheet", "--teacher", "王老师", "--as-of", AS_OF).exit_code == 0
    assert strategies(tmp_path / "callsheets" / f"王老师-{AS_OF}.xlsx")["P_S-F_S-K_L"] == OLD_HEADLINE
    # classify keeps them again.
    invoke("classify", "roster.xlsx", "--as-of", AS_OF)
    assert load_playbooks(find_workspace(tmp_path)).cached


def test_a_failed_classify_keeps_nothing(invoke, tmp_path):
    shutil.copy(SAMPLES / "roster.xlsx", tmp_path / "roster.xlsx")
    invoke("init", ".")
    invoke("classify", "roster.xlsx", "--as-of", AS_OF)
    (tmp_path / ".pfk" / CACHE_NAME).unlink()
    (tmp_path / "bad.csv").write_text("学号,姓名\nS1,张三\n", encoding="utf-8")

    result = invoke("classify", "bad.csv", "--as-of", AS_OF)
    assert result.exit_code == 2
    assert not (tmp_path / ".pfk" / CACHE_NAME).exists()
