"""This week's calls on real-looking data: a cohort in its renewal month, another after its end, new
enrolments, two courses with different totals — a plan a teacher can finish, in the declared order."""

from __future__ import annotations

import datetime as dt
import random

import openpyxl
import pandas as pd
import pytest

from pfkcli import history
from pfkcli.alert_rules import AlertContext
from pfkcli.config import Config
from pfkcli.frames import complete
from pfkcli.model import classify_frame
from pfkcli.plan import PRIORITIES, PROMISES, build_plan

from .conftest import write_xlsx

AS_OF = dt.date(2026, 11, 23)
TEACHERS = ("张老师", "李老师")
HEADER = ["学号", "姓名", "运营老师", "手机号", "课程", "作业完成次数", "观看课时", "最近学习时间", "开课日期", "结课日期",
          "报名日期", "积极性", "基础能力", "最近回访日期"]


def cohort(seed: int = 7) -> list[list]:
    """120 students: 80 of 数据运营官 (17 days before its end: the month-before renewal stage), 30 of
    Python 入门 (ended 13 days ago), 4 who enrolled yesterday and were never called, a few never
    called at all; study dates spread over the last month."""
    rng = random.Random(seed)
    rows = [HEADER]
    for n in range(120):
        teacher = TEACHERS[n % 2]
        python = 80 <= n < 110
        new = n >= 116
        called = not new and rng.random() < 0.85
        last_active = None if rng.random() < 0.05 else dt.datetime(2026, 11, 23) - dt.timedelta(days=rng.randint(0, 30))
        rows.append([
            f"D{n:03d}", f"学员{n}", teacher, 13900000000 + n, "Python 入门" if python else "数据运营官",
            rng.randint(0, 20 if python else 11), round(rng.uniform(0, 40 if python else 76), 1), last_active,
            None, None,
            dt.datetime(2026, 11, 22) if new else dt.datetime(2026, 10, 1),
            rng.randint(1, 5) if called else None, rng.randint(1, 5) if called else None,
            dt.datetime(2026, 11, 23) - dt.timedelta(days=rng.randint(1, 40)) if called else None,
        ])
    return rows


@pytest.fixture
def school(invoke, tmp_path):
    assert invoke("init", ".").exit_code == 0
    text = (tmp_path / "pfk.toml").read_text(encoding="utf-8")
    text = text.replace("calls_per_week = 40", "calls_per_week = 25").replace("# start = 2026-10-08", "start = 2026-10-08")
    (tmp_path / "pfk.toml").write_text(text.replace("# end = 2026-12-17", "end = 2026-12-10") + """
[courses."Python 入门"]
homework_total = 20
hours_total = 40
start = 2026-09-01
end = 2026-11-10
""", encoding="utf-8")
    write_xlsx(tmp_path / "roster.xlsx", cohort())
    result = invoke("classify", "roster.xlsx", "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0, result.output
    result = invoke("callsheet", "--all", "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0, result.output
    return tmp_path


def sheet(school, teacher):
    rows = list(openpyxl.load_workbook(school / "callsheets" / f"{teacher}-{AS_OF}.xlsx")["回访表"].iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def test_no_sheet_holds_more_than_a_week_of_calls_and_says_how_many_wait(invoke, school):
    for teacher in TEACHERS:
        assert len(sheet(school, teacher)) == 25
        info = {row[0]: row[1] for row in openpyxl.load_workbook(school / "callsheets" / f"{teacher}-{AS_OF}.xlsx")["说明"].iter_rows(values_only=True)}
        due, _, promised, waiting = (int(part) for part in __import__("re").findall(r"(\d+) 人", info["本周该打"]))
        assert info["本周该打"] == f"{due} 人；本表 25 人（其中答应过的 {promised} 人一个不落；其余按每周上限 25），顺延到下周 {waiting} 人"
        assert due == 25 + waiting and waiting > 0


def test_a_student_enrolled_yesterday_is_first(school):
    first = {teacher: sheet(school, teacher)[0] for teacher in TEACHERS}
    assert {row["学号"] for row in first.values()} <= {"D116", "D117", "D118", "D119"}
    assert all(row["为什么现在打"].startswith("新学员：24 小时内首次联系") for row in first.values())


def test_after_the_end_no_inactive_or_behind_pace_alert(invoke, school):
    assert invoke("alerts", "roster.xlsx", "--as-of", AS_OF.isoformat()).exit_code == 0
    rows = list(openpyxl.load_workbook(school / "roster.alerts.xlsx")["预警"].iter_rows(values_only=True))
    python = {f"D{n:03d}" for n in range(80, 110)}
    codes = {(row[0], row[4]) for row in rows[1:]}
    assert not [code for sid, code in codes if sid in python and code in ("inactive", "behind_pace", "fast_forward", "low_satisfaction")]
    # Their renewal follow-up after the end is still asked for, the 数据运营官 cohort's month-before talk too.
    assert any(code == "renewal_after" for sid, code in codes if sid in python)
    assert any(code == "renewal_30d" for sid, code in codes if sid not in python)
    # …and on the call sheets, an after-end student is there only for renewal or an agreed follow-up.
    for teacher in TEACHERS:
        for row in sheet(school, teacher):
            if row["学号"] in python:
                assert "结课" in row["为什么现在打"] or "约好" in row["为什么现在打"], row


def test_f_uses_each_students_own_course(school):
    rows = list(openpyxl.load_workbook(school / "roster.pfk.xlsx")["分层结果"].iter_rows(values_only=True))
    header = rows[0]
    for row in rows[1:]:
        record = dict(zip(header, row))
        total_hw, total_h = (20, 40) if record["课程"] == "Python 入门" else (11, 76)
        expected = record["作业完成次数"] / total_hw + record["观看课时"] / total_h
        assert record["F"] == pytest.approx(round(expected + 1e-9, 2), abs=0.006), record["学号"]


def test_renewal_talks_are_spread_over_the_month_by_value(school):
    """数据运营官 ends on 12-10: 17 days, the month-before stage has three weeks left (to 12-03). Each
    week a teacher takes a third of those not yet reached, the most valuable first — and renewal talks
    take at most [plan] renewal_share (0.4) of the 25 places: 10."""
    renewal = {
        teacher: sum(row["为什么现在打"] == "还有 17 天结课：谈续费" for row in sheet(school, teacher)) for teacher in TEACHERS
    }
    assert all(count <= 10 for count in renewal.values()) and sum(renewal.values()) > 0, renewal


# --- the plan as a pure function ---------------------------------------------------------------------


def classified(rows: list[dict], config: Config, conn=None) -> AlertContext:
    frame = complete(pd.DataFrame(rows))
    facts = history.newest_callbacks(conn, frame, AS_OF)
    frame = frame.assign(**{name: facts[name] for name in ("P", "P_on", "K", "K_on")})
    frame, _ = classify_frame(frame, config, AS_OF)
    return AlertContext(frame, config, AS_OF, facts, history.ratings_before(conn, AS_OF))


def student(sid, **fields) -> dict:
    return {"student_id": sid, "name": sid, "teacher": "张老师", "homework_done": 5.0, "hours_watched": 30.0, **fields}


def test_priorities_are_declared_once_in_order():
    assert [p.code for p in PRIORITIES] == ["first_contact", "complaint", "follow_up", "handover", "at_risk", "renewal", "pending", "routine"]
    assert PROMISES == ("first_contact", "complaint", "follow_up", "handover")


def test_the_order_names_what_put_each_student_there():
    scored = {"p_score": 4.0, "k_score": 4.0}
    rows = [
        student("R", **scored, last_callback=pd.Timestamp("2026-11-01")),  # routine: 22 days since the call
        student("F", **scored, last_callback=pd.Timestamp("2026-11-10"), next_followup=pd.Timestamp("2026-11-20")),
        student("N", enrolled_on=pd.Timestamp("2026-11-22")),  # enrolled yesterday, never called
        student("P"),  # never called, enrolled long ago
        student("Q", **scored, last_callback=pd.Timestamp("2026-11-20")),  # called 3 days ago: not due
    ]
    plan = build_plan(classified(rows, Config()), 40)
    assert plan.rows[["student_id", "priority"]].values.tolist() == [["N", "first_contact"], ["F", "follow_up"], ["P", "pending"], ["R", "routine"]]
    why = dict(zip(plan.rows["student_id"], plan.rows["why_now"]))
    assert why["N"].startswith("新学员：24 小时内首次联系")
    assert why["F"] == "约好 11月20日跟进，已过 3 天"
    assert why["R"] == "22 天没回访了"
    assert [(load.due, load.on_sheet, load.waiting) for load in plan.loads] == [(4, 4, 0)]


def test_a_student_who_waits_rises_next_week():
    scored = {"p_score": 4.0, "k_score": 4.0}
    rows = [student(f"S{n}", **scored, last_callback=pd.Timestamp("2026-11-01") + pd.Timedelta(days=n)) for n in range(6)]
    config = Config.model_validate({"plan": {"calls_per_week": 3}})
    this_week = build_plan(classified(rows, config), 3)
    assert this_week.rows["student_id"].tolist() == ["S0", "S1", "S2"]  # the longest wait first
    assert this_week.loads[0].waiting == 3
    # A week on, nothing recorded: the three who waited have waited longer than anyone called since.
    called = [student(sid, **scored, last_callback=pd.Timestamp("2026-11-24")) for sid in ("S0", "S1", "S2")]
    later = rows[3:] + called
    next_week = build_plan(AlertContext(*_next_week(later, config)), 3)
    assert next_week.rows["student_id"].tolist() == ["S3", "S4", "S5"]


def _next_week(rows, config):
    as_of = AS_OF + dt.timedelta(days=7)
    frame = complete(pd.DataFrame(rows))
    facts = history.newest_callbacks(None, frame, as_of)
    frame = frame.assign(**{name: facts[name] for name in ("P", "P_on", "K", "K_on")})
    frame, _ = classify_frame(frame, config, as_of)
    return frame, config, as_of, facts, history.ratings_before(None, as_of)


def test_a_stale_or_undated_score_makes_a_student_due_for_a_rescore():
    rows = [
        student("OLD", p_score=4.0, k_score=4.0, last_callback=pd.Timestamp("2026-09-01")),
        student("UNDATED", p_score=4.0, k_score=4.0),
    ]
    plan = build_plan(classified(rows, Config()), 40)
    why = dict(zip(plan.rows["student_id"], plan.rows["why_now"]))
    assert why["OLD"] == "P/K 83 天没更新了：重新打分"
    assert why["UNDATED"] == "有 P/K 分但没有回访日期：按周期回访"


def test_a_student_who_never_studied_is_inactive_from_the_course_start():
    config = Config.model_validate({"course": {"start": "2026-11-01", "end": "2027-01-31"}})
    rows = [student("NEVER", p_score=4.0, k_score=4.0, last_callback=pd.Timestamp("2026-11-10"), last_active=pd.NaT)]
    ctx = classified(rows, config)
    ctx.frame["activity_known"] = True
    plan = build_plan(ctx, 40)
    assert plan.rows.loc[0, "why_now"] == "开课（或报名）三周了还没开始学"


def test_a_promise_is_never_held_out(tmp_path):
    """With half held out, every agreed follow-up that has come is on the sheet; of the students due for
    a routine call, some are left off for the comparison (SPEC §12: randomised at the sheet's margin)."""
    conn = history.connect(tmp_path / ".pfk" / "history.sqlite")
    config = Config.model_validate({"plan": {"holdout_share": 0.5, "holdout_seed": "测试"}})
    scored = {"p_score": 4.0, "k_score": 4.0}
    promised = [student(f"F{n:02d}", **scored, last_callback=pd.Timestamp("2026-11-10"), next_followup=pd.Timestamp("2026-11-22")) for n in range(10)]
    routine = [student(f"R{n:02d}", **scored, last_callback=pd.Timestamp("2026-11-01")) for n in range(20)]
    plan = build_plan(classified(promised + routine, config), 40, conn=conn)
    on_sheet = set(plan.rows["student_id"])
    assert {f"F{n:02d}" for n in range(10)} <= on_sheet
    held = plan.loads[0].held_out
    assert 0 < held < 20 and len(on_sheet) == 30 - held
    conn.close()
