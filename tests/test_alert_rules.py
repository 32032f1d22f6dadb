"""Alert rules on real workbooks: each rule on its boundaries, the sample cohort, history-based rules."""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest

from pfkcli import history
from pfkcli.alert_rules import RULES, AlertContext, alert_texts, find_alerts
from pfkcli.alerts import run_alerts
from pfkcli.classify import classify, score_roster
from pfkcli.config import Config, load_config
from pfkcli.roster import load_roster
from pfkcli.workspace import Workspace

from .conftest import SAMPLES, today, write_xlsx

BASE = ["学号", "姓名", "运营老师", "作业完成次数", "观看课时"]
SAMPLE_INACTIVE = ["DS2026017", "DS2026024", "DS2026026", "DS2026029", "DS2026030", "DS2026035"]


def roster_with(tmp_path, extra_headers: list[str], rows: list[list], name: str = "r.xlsx"):
    """Students S1, S2… with full progress (so no behind-pace noise), plus the given columns."""
    table = [BASE + extra_headers]
    for i, extra in enumerate(rows, start=1):
        table.append([f"S{i}", f"学员{i}", "张老师" if i % 2 else "李老师", 11, 76] + extra)
    return write_xlsx(tmp_path / name, table)


def alerts_for(tmp_path, path, workspace=None, as_of=None):
    result = run_alerts(workspace or Workspace(None), path, as_of or today())
    return result


def codes_by_student(alerts) -> dict[str, list[str]]:
    return {sid: group["code"].tolist() for sid, group in alerts.groupby("student_id", sort=False)}


def workspace_at(folder, toml: str = "") -> Workspace:
    (folder / "pfk.toml").write_text(toml, encoding="utf-8")
    return Workspace(folder, load_config(folder / "pfk.toml"))


def context(result, conn=None) -> AlertContext:
    """The rules' input for a scored roster (no history unless `conn`)."""
    return AlertContext(result.frame, Config(), today(), result.callbacks, history.ratings_before(conn, today()))


def test_rules_are_declared_once_with_stable_codes():
    assert [(r.code, r.label) for r in RULES] == [
        ("complaint_open", "投诉未闭环"),
        ("inactive", "连续未学习"),
        ("behind_pace", "进度严重落后"),
        ("low_satisfaction", "满意度低"),
        ("fast_forward", "快进过多"),
        ("renewal_30d", "续费沟通（结课前一个月）"),
        ("renewal_7d", "续费提醒（结课前一周）"),
        ("renewal_3d", "续费最后提醒（结课前三天）"),
        ("renewal_after", "结课后续费跟进"),
        ("followup_overdue", "跟进逾期"),
    ]
    assert all(r.action for r in RULES)


@pytest.mark.parametrize("progress", [None, "events.csv"])
def test_sample_cohort_exactly_the_inactive_students(tmp_path, progress):
    roster = shutil.copy(SAMPLES / "roster.xlsx", tmp_path / "roster.xlsx")
    result = run_alerts(Workspace(None), roster, today(), SAMPLES / progress if progress else None)
    inactive = result.alerts[result.alerts["code"] == "inactive"]

    assert sorted(inactive["student_id"]) == SAMPLE_INACTIVE
    last_active = load_roster(SAMPLES / "roster.xlsx").frame.set_index("student_id")["last_active"]
    for sid, why in zip(inactive["student_id"], inactive["why"]):
        days = (pd.Timestamp(today()) - last_active[sid]).days
        assert days >= 7
        assert why == f"已连续 {days} 天没有学习记录（最近一次 {last_active[sid]:%Y-%m-%d}）"
    why = dict(zip(inactive["student_id"], inactive["why"]))
    assert why["DS2026035"] == "已连续 31 天没有学习记录（最近一次 2026-10-23）"
    # Course ends 2026-12-17: 24 days left, the one-month stage, which began on 11-17. Those already
    # called since then have had this stage's renewal talk.
    called = load_roster(SAMPLES / "roster.xlsx").frame.set_index("student_id")["last_callback"]
    not_reached = sorted(called.index[~(called >= pd.Timestamp("2026-11-17"))])
    assert sorted(result.alerts.loc[result.alerts["code"] == "renewal_30d", "student_id"]) == not_reached
    assert 0 < len(not_reached) < 48
    assert not result.alerts["code"].isin(["renewal_7d", "renewal_3d", "renewal_after"]).any()
    assert result.output == tmp_path / "roster.alerts.xlsx"


def test_inactive_starts_on_day_seven(tmp_path):
    days_ago = [6, 7, 8, None]  # (a date after the as-of day is a roster problem: test_roster)
    rows = [[None if d is None else dt.datetime.combine(today() - dt.timedelta(days=d), dt.time(21, 30))] for d in days_ago]
    path = roster_with(tmp_path, ["最近学习时间"], rows)
    alerts = alerts_for(tmp_path, path).alerts
    assert sorted(alerts[["student_id", "code", "why"]].values.tolist()) == [
        ["S2", "inactive", "已连续 7 天没有学习记录（最近一次 2026-11-16）"],
        ["S3", "inactive", "已连续 8 天没有学习记录（最近一次 2026-11-15）"],
    ]  # 6 days and a blank cell raise nothing


def test_inactive_days_come_from_the_config(tmp_path):
    workspace = workspace_at(tmp_path, "[alerts]\ninactive_days = 3\n")
    rows = [[dt.datetime(2026, 11, 21)], [dt.datetime(2026, 11, 20)]]
    path = roster_with(tmp_path, ["最近学习时间"], rows)
    assert alerts_for(tmp_path, path, workspace).alerts["student_id"].tolist() == ["S2"]


def test_missing_last_active_column_warns_and_raises_no_inactive_alert(tmp_path):
    path = roster_with(tmp_path, ["满意度"], [[5], [4]])
    result = alerts_for(tmp_path, path)
    assert result.alerts.empty
    assert [(w.code, w.message) for w in result.warnings if w.code == "no_last_active"] == [
        ("no_last_active", "名单里没有「最近学习时间」列，不检查连续未学习（可用 --progress 提供学习记录）")
    ]


@pytest.mark.parametrize(
    ("days_left", "expected"),
    [
        (50, []),
        (31, []),
        (30, ["renewal_30d"]),
        (8, ["renewal_30d"]),
        (7, ["renewal_7d"]),
        (4, ["renewal_7d"]),
        (3, ["renewal_3d"]),
        (0, ["renewal_3d"]),
        (-1, ["renewal_after"]),
        (-14, ["renewal_after"]),
        (-15, []),
    ],
)
def test_renewal_stage_on_each_boundary(tmp_path, days_left, expected):
    end = dt.datetime.combine(today() + dt.timedelta(days=days_left), dt.time())
    path = roster_with(tmp_path, ["课程结束日期"], [[end]])
    alerts = alerts_for(tmp_path, path).alerts
    assert alerts["code"].tolist() == expected
    if expected and days_left > 0:
        assert alerts["why"].tolist() == [f"距课程结束还有 {days_left} 天（{end:%Y-%m-%d} 结课）"]
    if expected and days_left < 0:
        assert alerts["why"].tolist() == [f"已结课 {-days_left} 天（{end:%Y-%m-%d} 结课），还没有续费"]
    if expected and not days_left:
        assert alerts["why"].tolist() == [f"今天课程结束（{end:%Y-%m-%d}）"]


def test_renewal_uses_the_configured_course_end_without_a_column(tmp_path):
    workspace = workspace_at(tmp_path, "[course]\nend = 2026-11-30\n")
    path = roster_with(tmp_path, [], [[], []])
    result = alerts_for(tmp_path, path, workspace)
    assert result.alerts[["student_id", "code"]].values.tolist() == [["S1", "renewal_7d"], ["S2", "renewal_7d"]]
    assert not [w for w in result.warnings if w.code == "no_course_end"]


def test_no_course_end_anywhere_warns(tmp_path):
    path = roster_with(tmp_path, [], [[]])
    codes = [w.code for w in alerts_for(tmp_path, path).warnings]
    assert "no_course_end" in codes


def test_behind_pace_only_where_the_expected_progress_is_known(tmp_path):
    # Course 10-01 … 12-10 (70 days), as-of 11-23: 53 days in, so 53/70 of the hours and 8 of the 11
    # assignments are out: F should be 8/11 + 53/70 = 1.48 by now, half of it 0.74.
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            BASE + ["开课日期", "结课日期"],
            ["S1", "甲", "张老师", 2, 10, dt.datetime(2026, 10, 1), dt.datetime(2026, 12, 10)],  # F 0.31
            ["S2", "乙", "张老师", 5, 20, dt.datetime(2026, 10, 1), dt.datetime(2026, 12, 10)],  # F 0.72, still under 0.74
            ["S3", "丙", "张老师", 5, 25, dt.datetime(2026, 10, 1), dt.datetime(2026, 12, 10)],  # F 0.78
            ["S4", "丁", "张老师", 0, 0, dt.datetime(2026, 11, 23), dt.datetime(2027, 3, 1)],  # starts today
            ["S5", "戊", "张老师", 0, 0, None, None],  # no dates: no pace known
        ],
    )
    alerts = alerts_for(tmp_path, path).alerts
    behind = alerts[alerts["code"] == "behind_pace"]
    assert behind["student_id"].tolist() == ["S1", "S2"]
    assert behind["why"].tolist()[0] == "F=0.31，按进度到今天应达 1.48，不到其 50%（0.74）"


def test_fast_forward_above_the_share(tmp_path):
    path = roster_with(tmp_path, ["快进比例"], [["65%"], [0.5], [0.51], [None]])
    alerts = alerts_for(tmp_path, path).alerts
    assert alerts[["student_id", "why"]].values.tolist() == [["S1", "视频快进比例 65%，超过 50%"], ["S3", "视频快进比例 51%，超过 50%"]]


def test_one_low_rating_alerts_when_there_is_no_history(tmp_path):
    path = roster_with(tmp_path, ["满意度"], [[2], [3], ["2.5星"], [None]])
    alerts = alerts_for(tmp_path, path).alerts
    assert alerts[["student_id", "code", "why"]].values.tolist() == [
        ["S1", "low_satisfaction", "满意度 2 星，低于 3 星"],
        ["S3", "low_satisfaction", "满意度 2.5 星，低于 3 星"],
    ]


def test_low_rating_twice_in_a_row_where_ratings_were_recorded(tmp_path):
    workspace = workspace_at(tmp_path)
    last_week = roster_with(tmp_path, ["满意度"], [[2], [4], [None], [2]], name="week1.xlsx")
    classify(workspace, last_week, today() - dt.timedelta(days=7))  # stores the ratings in a snapshot
    this_week = roster_with(tmp_path, ["满意度"], [[2], [2], [1], [4]], name="week2.xlsx")
    alerts = alerts_for(tmp_path, this_week, workspace).alerts

    assert alerts[["student_id", "why"]].values.tolist() == [
        ["S1", "满意度连续两次低于 3 星（本次 2 星，11-16 为 2 星）"],  # low twice
        ["S3", "满意度 1 星，低于 3 星"],  # no earlier rating: one is enough
    ]  # S2 was rated 4 last week; S4 is fine now


def test_followup_overdue_from_recorded_callbacks(tmp_path):
    workspace = workspace_at(tmp_path)
    path = roster_with(tmp_path, [], [[], [], [], []])

    def callback(sid, called_on, follow_up):
        return {"teacher": "张老师", "student_id": sid, "called_on": called_on, "p": 4, "k": 4, "note": "", "follow_up": follow_up}

    with history.opened(workspace.history_path) as conn:
        history.import_callbacks(conn, "a", "h1", "a.xlsx", [
            callback("S1", dt.date(2026, 11, 10), dt.date(2026, 11, 20)),  # overdue by 3 days
            callback("S2", dt.date(2026, 11, 10), dt.date(2026, 11, 23)),  # due today: not overdue
            callback("S3", dt.date(2026, 11, 10), dt.date(2026, 11, 15)),
            callback("S4", dt.date(2026, 11, 10), None),
        ])
        history.import_callbacks(conn, "b", "h2", "b.xlsx", [callback("S3", dt.date(2026, 11, 18), None)])  # newer call
    alerts = alerts_for(tmp_path, path, workspace).alerts
    assert alerts[["student_id", "code", "why"]].values.tolist() == [
        ["S1", "followup_overdue", "约定 2026-11-20 跟进，已过 3 天（11-10 回访时约定）"],
    ]


def test_followup_overdue_from_the_roster_columns(tmp_path):
    rows = [
        [dt.datetime(2026, 11, 1), dt.datetime(2026, 11, 8)],
        [dt.datetime(2026, 11, 1), dt.datetime(2026, 11, 30)],
    ]
    path = roster_with(tmp_path, ["最近回访日期", "下次跟进日期"], rows)
    alerts = alerts_for(tmp_path, path).alerts
    assert alerts[["student_id", "why"]].values.tolist() == [["S1", "约定 2026-11-08 跟进，已过 15 天（11-01 回访时约定）"]]


def test_alerts_are_grouped_by_teacher_then_student_then_rule(tmp_path):
    end = dt.datetime(2026, 11, 25)
    rows = [[dt.datetime(2026, 11, 1), end, 2], [dt.datetime(2026, 11, 1), end, 5], [dt.datetime(2026, 11, 22), end, 5]]
    path = roster_with(tmp_path, ["最近学习时间", "课程结束日期", "满意度"], rows)
    result = alerts_for(tmp_path, path)
    alerts = result.alerts
    assert list(alerts.columns) == ["student_id", "name", "teacher", "code", "label", "why", "action"]
    assert alerts[["teacher", "student_id", "code"]].values.tolist() == [
        ["张老师", "S1", "inactive"],
        ["张老师", "S1", "low_satisfaction"],
        ["张老师", "S1", "renewal_3d"],
        ["张老师", "S3", "renewal_3d"],
        ["李老师", "S2", "inactive"],
        ["李老师", "S2", "renewal_3d"],
    ]
    ctx = context(result.classified)
    why_now = dict(zip(ctx.frame["student_id"], alert_texts(ctx)))
    assert why_now["S1"] == "连续未学习：已连续 22 天没有学习记录（最近一次 2026-11-01）；满意度低：满意度 2 星，低于 3 星；续费最后提醒（结课前三天）：距课程结束还有 2 天（2026-11-25 结课）"
    assert why_now["S3"] == "续费最后提醒（结课前三天）：距课程结束还有 2 天（2026-11-25 结课）"
    nobody = AlertContext(ctx.frame.iloc[0:0], ctx.config, today(), ctx.callbacks.iloc[0:0], ctx.ratings)
    assert len(alert_texts(nobody)) == 0


def test_find_alerts_without_history_on_a_classified_frame():
    result = score_roster(SAMPLES / "roster.xlsx", today(), Config(), None)
    alerts = find_alerts(context(result))
    assert set(alerts["code"]) == {"inactive", "behind_pace", "renewal_30d"}


def test_find_alerts_on_a_stored_snapshot(tmp_path):
    """Call sheets may work from the newest snapshot: its columns come back as text and all-blank objects."""
    workspace = workspace_at(tmp_path)
    path = roster_with(tmp_path, ["最近学习时间", "满意度"], [[dt.datetime(2026, 11, 1), None], [dt.datetime(2026, 11, 22), None]])
    classify(workspace, path, today())
    with history.opened(workspace.history_path) as conn:
        snapshot = history.load_snapshot(conn, today())
        ctx = AlertContext(snapshot, workspace.config, today(), history.newest_callbacks(conn, snapshot, today()), history.ratings_before(conn, today()))
        alerts = find_alerts(ctx)
    assert alerts[["student_id", "code"]].values.tolist() == [["S1", "inactive"]]
