"""The risk estimate and the aim of the plan (risk.py, plan.py; issue 27), on real workbooks through the CLI."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd

from pfkcli import history
from pfkcli.alert_rules import AlertContext, alert_masks
from pfkcli.config import Config
from pfkcli.frames import complete
from pfkcli.model import classify_frame, student_courses
from pfkcli.plan import build_plan
from pfkcli.risk import estimate, reason_texts, rhythm_days, score_shares

from .conftest import write_xlsx

AS_OF = dt.date(2026, 11, 23)
HEADER = ["学号", "姓名", "运营老师", "手机号", "作业完成次数", "观看课时", "最近学习时间", "开课日期", "结课日期", "积极性", "基础能力", "最近回访日期"]


def context(rows: list[dict], config: Config | None = None) -> AlertContext:
    config = config or Config()
    frame = complete(pd.DataFrame(rows)).assign(activity_known=True)
    facts = history.newest_callbacks(None, frame, AS_OF)
    frame = frame.assign(**{name: facts[name] for name in ("P", "P_on", "K", "K_on")})
    frame, _ = classify_frame(frame, config, AS_OF)
    frame = frame.assign(rhythm_days=rhythm_days(frame, config, student_courses(frame, config)), score_share=score_shares(frame["homework_score"]))
    return AlertContext(frame, config, AS_OF, facts, history.ratings_before(None, AS_OF))


def student(sid: str, **fields) -> dict:
    return {
        "student_id": sid, "name": sid, "teacher": "张老师", "course_start": pd.Timestamp("2026-10-08"), "course_end": pd.Timestamp("2026-12-17"),
        "homework_done": 6.0, "hours_watched": 46.0, "last_active": pd.Timestamp("2026-11-22"), **fields,
    }


def test_a_student_slipping_is_at_greater_risk_than_one_keeping_up_and_says_why():
    ctx = context([
        student("OK"),
        student("SLIP", homework_done=2.0, hours_watched=12.0, last_active=pd.Timestamp("2026-11-09")),
        student("LOW", homework_score=45.0),
        student("FINE", homework_score=92.0),
    ])
    found = estimate(ctx)
    risk = dict(zip(ctx.frame["student_id"], found.risk))
    assert risk["SLIP"] > 0.4 > 0.15 > risk["OK"]
    assert risk["LOW"] > risk["FINE"] == risk["OK"]
    assert reason_texts(found, [1]) == ["作业落下 5 次，两周没学了"]


def test_scores_are_read_on_their_own_scale():
    assert score_shares(pd.Series([45.0, 90.0])).tolist() == [0.45, 0.9]
    assert score_shares(pd.Series([4.0, 2.5])).tolist() == [0.8, 0.5]
    assert score_shares(pd.Series([8.0, None])).tolist()[0] == 0.8


def test_on_a_homework_only_log_the_rhythm_is_the_days_between_assignments():
    """4 assignments over 10 weeks, no hours anywhere: most students handing work in on time are not
    inactive, although most have not studied for a week."""
    config = Config.model_validate({"course": {"homework_total": 4}})
    rows = [
        student(f"S{n}", homework_done=2.0, hours_watched=0.0, last_active=pd.Timestamp("2026-11-23") - pd.Timedelta(days=n))
        for n in range(20)
    ]
    ctx = context(rows, config)
    assert ctx.frame["rhythm_days"].iloc[0] == 17.5  # 70 days ÷ 4
    inactive = alert_masks(ctx)["inactive"]
    assert int(inactive.sum()) == 2  # 18 and 19 days: a rhythm missed
    # With hours watched, the platform logs lessons too: a week is the rhythm.
    weekly = context([student(f"S{n}", last_active=pd.Timestamp("2026-11-23") - pd.Timedelta(days=n)) for n in range(20)], config)
    assert int(alert_masks(weekly)["inactive"].sum()) == 13


def test_a_slipping_pending_student_goes_before_one_who_learns_well_and_a_recent_one_waits_longest():
    rows = [
        student("WELL"),  # no P/K, learning well
        student("SLIP", homework_done=1.0, hours_watched=8.0, last_active=pd.Timestamp("2026-11-05")),  # no P/K, slipping
        student("DONE", p_score=4.0, k_score=4.0, last_callback=pd.Timestamp("2026-11-12")),  # doing well, scored 11 days ago
    ]
    plan = build_plan(context(rows), 40)
    assert plan.rows["student_id"].tolist() == ["SLIP", "WELL"]
    assert plan.rows.loc[0, "why_now"] == "作业落下 6 次，18 天没学了"


def _school(tmp_path, invoke, rows, day=AS_OF.isoformat()):
    assert invoke("init", ".").exit_code == 0
    write_xlsx(tmp_path / "roster.xlsx", [HEADER, *rows])
    result = invoke("classify", "roster.xlsx", "--as-of", day)
    assert result.exit_code == 0, result.output
    return tmp_path


def _row(sid, teacher="张老师", hw=6, hours=46, last=dt.datetime(2026, 11, 22), start=dt.datetime(2026, 10, 8), end=dt.datetime(2026, 12, 17),
         p=4, k=4, called=dt.datetime(2026, 11, 20)):
    return [sid, sid, teacher, 13800000000 + int(sid[1:]), hw, hours, last, start, end, p, k, called]


def test_promises_stay_on_the_sheet_whatever_the_pool_and_capacity_say(tmp_path, invoke):
    """The unreachable student with a due follow-up and the finished student with an open complaint are on
    their teacher's sheet, and the one place the week has left goes to the student slipping (the calls
    as `pfk record` stores them)."""
    rows = [_row("S1", called=None), _row("S2", start=dt.datetime(2026, 8, 1), end=dt.datetime(2026, 10, 1), called=None),
            _row("S3", hw=1, hours=5, last=dt.datetime(2026, 10, 1), called=dt.datetime(2026, 11, 1))]
    folder = _school(tmp_path, invoke, rows)
    conn = history.connect(folder / ".pfk" / "history.sqlite")
    call = {"teacher": "张老师", "p": None, "k": None, "note": None, "follow_up": None, "outcome": "未接通", "reached": False}
    history.import_callbacks(conn, "a", "a", "a.xlsx", [
        {**call, "student_id": "S1", "called_on": dt.date(2026, 11, 2), "p": 3.0, "k": 3.0, "follow_up": dt.date(2026, 11, 20), "outcome": "已接通", "reached": True},
        {**call, "student_id": "S2", "called_on": dt.date(2026, 11, 2), "note": "要求退费", "outcome": "已接通", "reached": True,
         "problem_type": "投诉", "resolved": 0},
    ])
    for sheet, day in (("b", 9), ("c", 16), ("d", 21)):
        history.import_callbacks(conn, sheet, sheet, f"{sheet}.xlsx", [{**call, "student_id": "S1", "called_on": dt.date(2026, 11, day)}])
    conn.close()
    result = invoke("callsheet", "--all", "--as-of", AS_OF.isoformat(), "--limit", "3")
    assert result.exit_code == 0, result.output
    sheet = list(openpyxl.load_workbook(folder / "callsheets" / f"张老师-{AS_OF}.xlsx")["回访表"].iter_rows(values_only=True))
    why = {row[sheet[0].index("学号")]: row[sheet[0].index("为什么现在打")] for row in sheet[1:]}
    assert why == {
        "S2": "投诉 21 天还没解决",
        "S1": "联系不上（连续 3 次没接通），先发微信约时间；约好 11月20日跟进，已过 3 天",
        "S3": "53 天没学了，作业落下 6 次",  # the one place left: the student slipping, not pooled
    }
    assert "公海（2026-11-23，共 0 人）" in invoke("pool", "list", "--as-of", AS_OF.isoformat()).stdout


def test_a_student_new_on_the_roster_without_an_enrolment_date_is_a_first_contact_not_the_pool(tmp_path, invoke):
    folder = _school(tmp_path, invoke, [_row("S1")])
    write_xlsx(folder / "roster.xlsx", [HEADER, _row("S1"), _row("S2", hw=0, hours=0, last=None, p=None, k=None, called=None)])
    day = "2026-11-30"
    assert invoke("classify", "roster.xlsx", "--as-of", day).exit_code == 0
    assert invoke("callsheet", "--all", "--as-of", day).exit_code == 0
    sheet = list(openpyxl.load_workbook(folder / "callsheets" / f"张老师-{day}.xlsx")["回访表"].iter_rows(values_only=True))
    assert [row[4] for row in sheet[1:]][0] == "新学员：24 小时内首次联系"
    assert "共 0 人" in invoke("pool", "list", "--as-of", day).stdout


def test_the_weights_are_fitted_to_a_finished_cohort_and_compared_with_those_in_force(tmp_path, invoke):
    """Forty students of a course that ended 11-01: mid-course (10-01) half of them were behind and
    silent; after the end those are gone from the roster or ended with F < 1."""
    import random

    rng = random.Random(3)
    start, end = dt.datetime(2026, 9, 1), dt.datetime(2026, 11, 1)
    mid, after = [HEADER], [HEADER]
    for n in range(40):
        slipping = n % 2 == 0
        hw, hours = (rng.randint(0, 2), rng.uniform(0, 8)) if slipping else (rng.randint(4, 6), rng.uniform(30, 40))
        last = dt.datetime(2026, 10, 1) - dt.timedelta(days=rng.randint(12, 30) if slipping else rng.randint(0, 6))
        mid.append(_row(f"S{n:02d}", hw=hw, hours=hours, last=last, start=start, end=end, p=None, k=None, called=None))
        if not slipping or n % 4 == 2:  # half the slipping ones left; the rest end far behind
            final = (hw + 1, hours + 4) if slipping else (11, 76)
            after.append(_row(f"S{n:02d}", hw=final[0], hours=final[1], last=end, start=start, end=end, p=None, k=None, called=None))
    assert invoke("init", ".").exit_code == 0
    for day, rows in (("2026-10-01", mid), ("2026-11-02", after)):
        write_xlsx(tmp_path / "roster.xlsx", rows)
        assert invoke("classify", "roster.xlsx", "--as-of", day).exit_code == 0
    result = invoke("risk", "fit", "--as-of", "2026-11-02")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "已结课的学员 40 人，其中流失（结课前离开名单，或结课时 F < 1）20 人；共 1 期：（未填课程） 2026-11-01"
    assert lines[1].startswith("排序好坏（AUC，0.5 = 随机，1 = 完全分开）：现用权重 1.000，拟合的权重 1.000（只有一期")
    assert "[risk]" in lines and any(line.startswith("behind = ") for line in lines)


def test_too_few_finished_students_to_fit_says_what_is_needed(tmp_path, invoke):
    folder = _school(tmp_path, invoke, [_row("S1")])
    result = invoke("risk", "fit", "--as-of", AS_OF.isoformat())
    assert result.exit_code == 2
    assert "不够拟合：至少要 20 人" in result.stderr


def test_a_student_who_left_the_course_is_not_called_for_the_risk():
    rows = [
        student("LEFT", homework_done=1.0, hours_watched=5.0, last_active=pd.Timestamp("2026-10-20"), status="已退课"),
        student("SLIP", homework_done=1.0, hours_watched=5.0, last_active=pd.Timestamp("2026-10-20"), status="在读"),
    ]
    plan = build_plan(context(rows), 40)
    assert plan.rows["student_id"].tolist() == ["SLIP"]
