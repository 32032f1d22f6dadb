"""A season of an online school, simulated, to judge a call plan by what follows from it.

Run: `python benchmarks/season.py [--seeds 1 2 3] [--capacity 25 40] [--scenario calls_help nothing]
[--planners pfk round_robin least_studied] [--students 400] [--weeks 17] [--learning] [--holdout 0.2]
[--json out.json] [--workers 2]`.

pfk is driven only through its real command line (Typer's CliRunner, in-process, inside a workspace
made by `pfk init`), exactly as a lead drives it each Monday: the platform's roster export is written,
`pfk classify`, `pfk callsheet --all`, the teachers work down their sheets and fill them with openpyxl,
`pfk record`. Whatever pfk's plan does inside, the simulator only sees the sheets it hands out.

The world
---------
A school of `--students` (400) students and four teachers (张老师 李老师 王老师 赵老师). Two courses of one
cohort each, 11 homework and 76 hours each (declared in pfk.toml `[courses."名称"]` and in the roster's
课程开始日期 / 课程结束日期): cohort A runs `COURSE_WEEKS` (10) weeks from week 1, cohort B from week
`weeks - 12` (week 5 of 17), so B's renewal window closes with the season. Week 0 is Monday 2026-03-02;
every date stays before 2026-12-01 (pfk refuses call dates after the real today). Students enrol on
their own day over `ENROL_BEFORE` days before to `ENROL_AFTER` days after their course's start (the
roster's 报名日期), and get a teacher in turn. Each Monday D of the season is one planning round: the
roster exported on D, the calls made on D, then the week [D, D+7) is lived.

Hidden per student, never exported:

- **motivation m** (0..1; start Beta(4, 2), mean 0.67). While the course runs it walks each week by
  N(0, `M_NOISE`), with a shock of −U(`SHOCK_MIN`, `SHOCK_MAX`) with probability `SHOCK_P` a week;
  below `SLIP_M` it is also pulled down `SPIRAL` a week (a student who lets it slide tends to let it
  slide more). **Slipping** (`World.slipping`): enrolled, not gone, the course running, and m below
  `SLIP_M` — low, and falling by the model's own drift unless something lifts it.
- **busyness** (U(0, 0.7)): the share of a week's time that work and family take; fewer hours, fewer
  active weeks.
- **ability** (Beta(2.5, 2)): homework scores (作业成绩 ≈ 35 + 60·ability) and the K a teacher hears.
- **reachability** (Beta(5, 1.5); `UNREACHABLE_SHARE` of students almost never answer, 0.05): the
  chance a call is picked up.

From them, each week of the course: active with probability 0.1 + 1.1·m − 0.4·busyness; when active,
hours watched ≈ 7.6·(0.3 + 1.2·m)·(1 − 0.6·busyness)·lognormal, homework handed in (each one released
and not yet handed in, at most two a week, with probability 0.3 + 0.65·m), a score each, and a study day
(最近学习时间). Satisfaction (满意度 1–5, ≈ 1 + 4·m) is exported for `SAT_SHARE` of the students a week.
**Dropout**: m below `DROP_M` for `DROP_WEEKS` weeks in a row, the student is gone (absorbing: no more
study, never renews, never helped by a call); `WITHDRAW_SHARE` of them formally withdraw: the roster's
学员状态 reads 退课 from then on (the others simply stop). **Renewal** (是否续费 = 是): in the renewal
window (`RENEWAL_BEFORE` = 30 days before the course end to `RENEWAL_AFTER` = 14 after) a student alive
renews over the window with total chance `RENEW_BASE` + `RENEW_M`·m + `RENEW_F`·min(F, 1.5)/1.5, spread
as an even weekly hazard.

Scenarios (the planted truths, `--scenario`)
--------------------------------------------
- `calls_help`: a reached call to a slipping student raises m by `CALL_LIFT` (0.25); to anyone else
  it changes nothing.
- `renewal_calls`: as calls_help, and a reached call inside the student's renewal window adds
  `RENEWAL_CALL_LIFT` (0.20) to the chance to renew for the rest of the window.
- `nothing`: no call changes anything.
- `--learning` (issue 28) adds: solution `WORKING_SOLUTION` (s88bz7, the default playbook of 重点挽留
  P_S-F_S-K_L) used on a reached call raises m by `SOLUTION_LIFT` (0.30), whoever the student; the
  solution a teacher adds in the workspace with `pfk playbook add P_S-F_S-K_L` does nothing. Teachers
  use a solution on a reached call more often the worse the student looks (probability 0.15 + 0.6·(5 −
  P)/4: a biased choice), one of the row's segment's at random — or, where the sheet has a 建议方案
  column, the proposed one with probability `PROPOSAL_FOLLOWED` (0.7). At the end the simulator runs
  `pfk report` and reads its 方案效果 and 留出对照 sheets against the truth.

Planners (same seed, same world draws, same capacity per teacher per week)
-----------------------------------------------------------------------
- `pfk`: pfk's own sheets. Teachers call first the rows that are promises (`World.promise_due`: what
  the simulated teacher knows she promised, or the sheet's reason says 约定 / 投诉 / 首次联系 / 新接手),
  then down the sheet in order, `capacity` calls at most (a sheet may hold more rows than that).
- `round_robin`: each teacher calls her students (from the roster export, 学员状态 not 退课, course not
  ended more than 14 days ago) in order of longest since her last call, never called first.
- `least_studied`: the same students, fewest hours watched in the last week (from two exports) first.
- `oracle` (not run unless asked): the same students, slipping ones first (lowest m first), then
  those in the renewal window, then round-robin — it reads the hidden states, so it is not a plan a
  team could run; it says how much a plan could reach in this world.

Every call goes through the same call model: reached with the student's reachability, then the
scenario's effect. All chance is drawn once per student and week into fixed tables, one column per use
(`W_…`, `C_…`), so every planner faces the very same world and the differences come from the calls
alone; under `nothing` all planners show the same dropouts and renewals (checked on every run).

On pfk's sheets the simulated teacher writes what teachers write: 回访结果 (已接通; 未接通 / 关机停机 /
拒接), P（1-5） and K（1-5） as noisy readings of m and ability (round(1 + 4·x + N(0, 0.6))), a short
回访备注, a 下次跟进日期 5–10 days on for `FOLLOW_UP_SHARE` (a fifth) of the reached calls, now and
then (`COMPLAINT_SHARE`) 问题类型 投诉 with 是否解决 否 — closed (是) at the next reached call —, and with
--learning 使用方案. Then `pfk record FILE… --called-on D`; an exit code other than 0 stops the run with
pfk's output.

Metrics (per scenario × capacity × planner; means over seeds, each seed in `--json`)
----------------------------------------------------------------------------------
- `dropouts`: students gone by the season's end. `renewals`: students renewed.
- `first_contact_median` / `_mean`: days from enrolment (报名日期) to the first reached call, over the
  students ever reached.
- `unneeded_calls`: reached calls to a student who at that moment was not slipping, not in the renewal
  window unrenewed, and had no promise due (an agreed follow-up date come, an open complaint, or a first
  contact: never reached and enrolled `FIRST_CONTACT_DAYS` (14) days ago at most). A call that finds a
  student doing well is part of the cost of finding the ones who are not; this counts it.
- `calls_on_gone`: calls (reached or not) to a student already gone.
- `never_reached`: students enrolled 14 days or more before the last round, never reached.
- also `calls`, `reached`, `slipping_calls` (reached calls to slipping students), `seconds`; for
  pfk `sheet_rows` (rows handed out) and `reasons` (calls by the head of 为什么现在打, numbers as N).
- with --learning, `report`: the sheets read, the planted first-order effects and the verdicts (`judge`).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


SEASON_START = dt.date(2026, 3, 2)  # a Monday; the season's week 0
TEACHERS = ("张老师", "李老师", "王老师", "赵老师")
COURSE_WEEKS = 10
HOMEWORK_TOTAL = 11
HOURS_TOTAL = 76
PACE_HOURS = HOURS_TOTAL / COURSE_WEEKS
ENROL_BEFORE, ENROL_AFTER = 10, 10

# Motivation's walk.
M_NOISE = 0.05
SHOCK_P, SHOCK_MIN, SHOCK_MAX = 0.05, 0.15, 0.35
SLIP_M = 0.45  # below it a student is slipping: pulled down SPIRAL a week
SPIRAL = 0.04
DROP_M, DROP_WEEKS = 0.15, 2
WITHDRAW_SHARE = 0.5
UNREACHABLE_SHARE = 0.05
SAT_SHARE = 0.3

# Renewal.
RENEWAL_BEFORE, RENEWAL_AFTER = 30, 14
RENEW_BASE, RENEW_M, RENEW_F = 0.0, 0.55, 0.15

# Planted effects.
CALL_LIFT = 0.25
RENEWAL_CALL_LIFT = 0.20
SOLUTION_LIFT = 0.30
WORKING_SOLUTION = "s88bz7"
USELESS_SOLUTION = {"problem": "学员说最近状态不好，不想学", "solution": "鼓励学员坚持，每天打卡", "title": "每日打卡鼓励"}
PROPOSAL_FOLLOWED = 0.7

# The teacher at the phone.
FIRST_CONTACT_DAYS = 14  # a never-reached student is a new student's promise for two weeks from enrolment
FOLLOW_UP_SHARE = 0.2
COMPLAINT_SHARE = 0.02
# The columns of the fixed tables of chance (Student.world, Student.call): one per use, drawn once per
# student and week, so that whatever the planner does, the same world unfolds (common random numbers).
W_DRIFT, W_SHOCK, W_ACTIVE, W_HOURS, W_DAY, W_HOMEWORK, W_SCORE, W_WITHDRAW, W_RENEW, W_SURVEY = 0, 2, 4, 5, 7, 9, 11, 15, 16, 18
W_COLUMNS = 21
C_REACH, C_P, C_K, C_USE, C_CHOICE, C_PROPOSAL, C_MISSED, C_NOTE, C_COMPLAINT, C_FOLLOW_UP = 0, 1, 3, 5, 6, 7, 8, 9, 10, 11
C_COLUMNS = 13
SCENARIOS = ("calls_help", "renewal_calls", "nothing")
PLANNERS = ("pfk", "round_robin", "least_studied")
ALL_PLANNERS = (*PLANNERS, "oracle")

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏辉玲建国浩宇欣怡子涵梓轩雨晨思远佳琪文博俊凯晓燕丹雪梅海波宁颖")
ROSTER_HEADER = ["学号", "姓名", "运营老师", "手机号", "课程", "作业完成次数", "观看课时", "作业成绩", "最近学习时间",
                 "课程开始日期", "课程结束日期", "报名日期", "满意度", "是否续费", "学员状态"]
NOTES_GOOD = ["在学，进度正常", "学得不错，有问题会在群里问", "按计划学习中"]
NOTES_LOW = ["最近工作忙，没怎么学", "说落下了，周末补", "情绪不高，劝了几句"]
PROMISE_WORDS = ("约定", "投诉", "首次联系", "新接手")
REACHED, NOT_REACHED = "已接通", ("未接通", "未接通", "未接通", "关机停机", "拒接")


@dataclasses.dataclass
class Course:
    name: str
    start: dt.date
    end: dt.date

    def released_homework(self, day: dt.date) -> int:
        """Homework released by `day`: one at the start, then evenly, the last a week before the end."""
        if day < self.start:
            return 0
        span = (self.end - self.start).days - 7
        return min(HOMEWORK_TOTAL, 1 + int((day - self.start).days * (HOMEWORK_TOTAL - 1) / span))

    def in_renewal_window(self, day: dt.date) -> bool:
        return self.end - dt.timedelta(days=RENEWAL_BEFORE) <= day <= self.end + dt.timedelta(days=RENEWAL_AFTER)


@dataclasses.dataclass
class Student:
    index: int
    sid: str
    name: str
    phone: str
    teacher: str
    course: Course
    enrolled: dt.date
    m: float
    busy: float
    ability: float
    reach: float
    world: np.ndarray  # per week: the world's uniforms and normals, fixed whatever the calls
    call: np.ndarray  # per week: the phone's draws (reached, readings, the teacher's choices)
    hours: float = 0.0
    homework: int = 0
    scores: list = dataclasses.field(default_factory=list)
    last_study: dt.datetime | None = None
    hours_week: float = 0.0
    low_weeks: int = 0
    gone_on: dt.date | None = None
    withdrawn: bool = False
    renewed_on: dt.date | None = None
    renewal_called: bool = False
    first_reached: dt.date | None = None
    follow_up: dt.date | None = None
    complaint_open: bool = False
    satisfaction: int | None = None

    @property
    def f(self) -> float:
        return self.homework / HOMEWORK_TOTAL + self.hours / HOURS_TOTAL


class World:
    """The school: hidden states, the weekly life, the call model and the roster export."""

    def __init__(self, seed: int, students: int, weeks: int, scenario: str, learning: bool):
        self.seed, self.weeks, self.scenario, self.learning = seed, weeks, scenario, learning
        self.uses: list[dict] = []
        a_start = SEASON_START + dt.timedelta(weeks=1)
        b_start = SEASON_START + dt.timedelta(weeks=max(1, weeks - 12))
        self.courses = [
            Course("Python数据分析", a_start, a_start + dt.timedelta(weeks=COURSE_WEEKS)),
            Course("新媒体运营", b_start, b_start + dt.timedelta(weeks=COURSE_WEEKS)),
        ]
        rng = np.random.default_rng([seed, 0])
        enrol = []
        for index in range(students):
            course = self.courses[index % 2]
            offset = int(rng.integers(-ENROL_BEFORE, ENROL_AFTER + 1))
            enrol.append((course.start + dt.timedelta(days=offset), index, course))
        enrol.sort(key=lambda item: (item[0], item[1]))
        self.students: list[Student] = []
        for order, (day, index, course) in enumerate(enrol):
            own = np.random.default_rng([seed, 1, index])
            reach = 0.05 if own.random() < UNREACHABLE_SHARE else float(own.beta(5, 1.5))
            self.students.append(Student(
                index=order,
                sid=f"DS26{order + 1:04d}",
                name=SURNAMES[int(own.integers(len(SURNAMES)))] + "".join(GIVEN[int(g)] for g in own.integers(len(GIVEN), size=int(own.integers(1, 3)))),
                phone=f"1{int(own.choice([38, 39, 50, 58, 86, 88, 77, 99]))}{int(own.integers(10**8)):08d}",
                teacher=TEACHERS[order % len(TEACHERS)],
                course=course,
                enrolled=day,
                m=float(own.beta(4, 2)),
                busy=float(own.uniform(0, 0.7)),
                ability=float(own.beta(2.5, 2)),
                reach=reach,
                world=np.random.default_rng([seed, 2, index]).random((weeks + 2, W_COLUMNS)),
                call=np.random.default_rng([seed, 3, index]).random((weeks + 2, C_COLUMNS)),
            ))

    # -- what is true ------------------------------------------------------------------------------
    def running(self, s: Student, day: dt.date) -> bool:
        return s.course.start <= day < s.course.end

    def slipping(self, s: Student, day: dt.date) -> bool:
        """Enrolled, not gone, the course running, m below SLIP_M (where the drift pulls m down)."""
        return s.enrolled <= day and s.gone_on is None and self.running(s, day) and s.m < SLIP_M

    def renewal_due(self, s: Student, day: dt.date) -> bool:
        return s.gone_on is None and s.renewed_on is None and s.course.in_renewal_window(day)

    def promise_due(self, s: Student, day: dt.date) -> bool:
        """An agreed follow-up whose date has come, an open complaint, or a new student's first contact
        (never reached, enrolled FIRST_CONTACT_DAYS ago at most): what the teacher promised."""
        new = s.first_reached is None and (day - s.enrolled).days <= FIRST_CONTACT_DAYS
        return new or s.complaint_open or (s.follow_up is not None and s.follow_up <= day)

    def enrolled(self, day: dt.date) -> list[Student]:
        return [s for s in self.students if s.enrolled <= day]

    # -- the week lived --------------------------------------------------------------------------------
    def live_week(self, week: int) -> None:
        """The week [D, D+7) after round `week`'s calls: motivation, study, dropout, renewal, and the
        satisfaction the platform shows next Monday. Each use of chance has a column of its own in
        `Student.world` (W_…), so no two decisions share a draw."""
        start = SEASON_START + dt.timedelta(weeks=week)
        end = start + dt.timedelta(days=7)
        for s in self.students:
            u = s.world[week]
            s.hours_week = 0.0
            s.satisfaction = None
            if s.gone_on is not None or s.enrolled >= end:
                continue
            first = max(start, s.course.start, s.enrolled)
            last = min(end, s.course.end)
            days = (last - first).days
            if days > 0:
                step = M_NOISE * _normal(u[W_DRIFT], u[W_DRIFT + 1])
                if u[W_SHOCK] < SHOCK_P:
                    step -= SHOCK_MIN + (SHOCK_MAX - SHOCK_MIN) * u[W_SHOCK + 1]
                if s.m < SLIP_M:
                    step -= SPIRAL
                s.m = min(1.0, max(0.0, s.m + step * days / 7))
                if u[W_ACTIVE] < _clip_active(s.m, s.busy):
                    noise = math.exp(0.3 * _normal(u[W_HOURS], u[W_HOURS + 1]))
                    hours = PACE_HOURS * days / 7 * (0.3 + 1.2 * s.m) * (1 - 0.6 * s.busy) * noise
                    s.hours_week = min(HOURS_TOTAL - s.hours, hours)
                    s.hours += s.hours_week
                    study_day = first + dt.timedelta(days=int(u[W_DAY] * days))
                    s.last_study = dt.datetime.combine(study_day, dt.time(19 + int(u[W_DAY + 1] * 4), int(u[W_DAY + 1] * 240) % 60))
                    outstanding = s.course.released_homework(last - dt.timedelta(days=1)) - s.homework
                    for k in range(min(2, outstanding)):
                        if u[W_HOMEWORK + k] < 0.3 + 0.65 * s.m:
                            s.homework += 1
                            score = 35 + 60 * s.ability + 8 * _normal(u[W_SCORE + 2 * k], u[W_SCORE + 2 * k + 1])
                            s.scores.append(min(100.0, max(0.0, score)))
                if s.m < DROP_M:
                    s.low_weeks += 1
                    if s.low_weeks >= DROP_WEEKS:
                        s.gone_on = last
                        s.withdrawn = u[W_WITHDRAW] < WITHDRAW_SHARE
                        continue
                else:
                    s.low_weeks = 0
            if s.renewed_on is None and s.course.in_renewal_window(start + dt.timedelta(days=3)):
                chance = RENEW_BASE + RENEW_M * s.m + RENEW_F * min(s.f, 1.5) / 1.5
                if s.renewal_called and self.scenario == "renewal_calls":
                    chance += RENEWAL_CALL_LIFT
                hazard = 1 - (1 - min(0.99, chance)) ** (7 / (RENEWAL_BEFORE + RENEWAL_AFTER))
                if u[W_RENEW] < hazard:
                    s.renewed_on = start + dt.timedelta(days=int(u[W_RENEW + 1] * 7))
            if s.course.start <= end and u[W_SURVEY] < SAT_SHARE:
                s.satisfaction = min(5, max(1, round(1 + 4 * s.m + 0.7 * _normal(u[W_SURVEY + 1], u[W_SURVEY + 2]))))

    # -- the phone -------------------------------------------------------------------------------------
    def call(self, s: Student, week: int, tally: dict, solution: str | None = None, proposed: str | None = None) -> bool:
        """One call to `s` in round `week`: reached or not, its effect, and the tally's counts.

        With --learning, each reached call with a segment (its solution used, the one proposed) is kept
        in `self.uses` with what the working solution does to that student's outcomes to first order
        (`first_order_effect`): the planted truth the report's intervals are read against."""
        day = SEASON_START + dt.timedelta(weeks=week)
        tally["calls"] += 1
        if s.gone_on is not None:
            tally["calls_on_gone"] += 1
            return s.call[week, C_REACH] < s.reach  # a gone student may still pick up; nothing changes
        reached = s.call[week, C_REACH] < s.reach
        if not reached:
            return False
        tally["reached"] += 1
        slipping = self.slipping(s, day)
        in_window = self.renewal_due(s, day)
        if slipping:
            tally["slipping_calls"] += 1
        if not (slipping or in_window or self.promise_due(s, day)):
            tally["unneeded_calls"] += 1
        if s.first_reached is None:
            s.first_reached = day
        if slipping and self.scenario in ("calls_help", "renewal_calls"):
            s.m = min(1.0, s.m + CALL_LIFT)
        if in_window:
            s.renewal_called = True
        if self.learning:
            effect = self.first_order_effect(s)
            self.uses.append({"used": solution, "proposed": proposed, **(effect if solution == WORKING_SOLUTION else {}),
                              "if_working": effect})
            if solution == WORKING_SOLUTION:
                s.m = min(1.0, s.m + SOLUTION_LIFT)
        if s.follow_up is not None and s.follow_up <= day:
            s.follow_up = None
        return True

    def first_order_effect(self, s: Student) -> dict:
        """What SOLUTION_LIFT does now, to first order, in the report's units (percentage points): the
        chance to be active in a week (the outcome 'still learning') and the chance to renew (a student
        alive). First order: it leaves out the spiral and the dropout the lift also averts, so the true
        effect on these outcomes is somewhat larger."""
        lifted = min(1.0, s.m + SOLUTION_LIFT)
        return {
            "learning": 100 * (_clip_active(lifted, s.busy) - _clip_active(s.m, s.busy)),
            "renewal": 100 * RENEW_M * (lifted - s.m),
        }

    def readings(self, s: Student, week: int) -> tuple[int, int]:
        """The P and K a teacher hears on the phone: noisy readings of m and ability."""
        u = s.call[week]
        p = min(5, max(1, round(1 + 4 * s.m + 0.6 * _normal(u[C_P], u[C_P + 1]))))
        k = min(5, max(1, round(1 + 4 * s.ability + 0.6 * _normal(u[C_K], u[C_K + 1]))))
        return p, k

    # -- the platform's export -------------------------------------------------------------------------
    def roster_rows(self, day: dt.date) -> list[list]:
        rows = []
        for s in self.enrolled(day):
            if s.withdrawn:
                status = "退课"
            elif day >= s.course.end:
                status = "结课"
            else:
                status = "在读"
            rows.append([
                s.sid, s.name, s.teacher, s.phone, s.course.name, s.homework, round(s.hours, 1),
                round(sum(s.scores) / len(s.scores), 1) if s.scores else None,
                s.last_study if s.last_study is not None else "未学习",
                _datetime(s.course.start), _datetime(s.course.end), _datetime(s.enrolled),
                s.satisfaction, "是" if s.renewed_on is not None and s.renewed_on < day else None, status,
            ])
        return rows

    def outcome(self, final_day: dt.date) -> dict:
        enrolled = self.enrolled(final_day)
        waits = [(s.first_reached - s.enrolled).days for s in enrolled if s.first_reached is not None]
        old = [s for s in enrolled if (final_day - s.enrolled).days >= 14]
        return {
            "students": len(enrolled),
            "dropouts": sum(s.gone_on is not None for s in enrolled),
            "renewals": sum(s.renewed_on is not None for s in enrolled),
            "first_contact_median": statistics.median(waits) if waits else None,
            "first_contact_mean": round(statistics.fmean(waits), 2) if waits else None,
            "never_reached": sum(s.first_reached is None for s in old),
        }


def _clip_active(m: float, busy: float) -> float:
    """The chance to study in a week of the course (see the module docstring)."""
    return min(0.98, max(0.02, 0.1 + 1.1 * m - 0.4 * busy))


def _normal(u1: float, u2: float) -> float:
    """A standard normal from two uniforms (Box–Muller): the world's draws stay a fixed table."""
    return math.sqrt(-2 * math.log(max(u1, 1e-12))) * math.cos(2 * math.pi * u2)


def _datetime(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def write_roster(path: Path, rows: list[list]) -> None:
    """The platform's export as an .xlsx: a title line, the header, phones as text, real dates."""
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("学员名单")
    ws.append(["学员名单导出"])
    ws.append(ROSTER_HEADER)
    for row in rows:
        ws.append(row)
    wb.save(path)


# -- planners ----------------------------------------------------------------------------------------
class Baseline:
    """round_robin and least_studied: each teacher's students from the export, a fixed order."""

    def __init__(self, world: World, capacity: int, kind: str):
        self.world, self.capacity, self.kind = world, capacity, kind
        self.last_called: dict[str, dt.date] = {}
        self.hours_before: dict[str, float] = {}

    def round(self, week: int, day: dt.date, rows: list[list], tally: dict) -> None:
        by_sid = {s.sid: s for s in self.world.students}
        hours_now = {row[0]: row[6] for row in rows}
        for teacher in TEACHERS:
            mine = [row for row in rows if row[2] == teacher and row[14] != "退课"
                    and row[10].date() + dt.timedelta(days=RENEWAL_AFTER) >= day]
            if self.kind == "round_robin":
                key = lambda row: (self.last_called.get(row[0], dt.date.min), row[0])  # noqa: E731
            elif self.kind == "oracle":
                def key(row):
                    s = by_sid[row[0]]
                    slipping = self.world.slipping(s, day)
                    return (not slipping, s.m if slipping else 0, not self.world.renewal_due(s, day),
                            self.last_called.get(row[0], dt.date.min), row[0])
            else:
                key = lambda row: (row[6] - self.hours_before.get(row[0], 0.0), self.last_called.get(row[0], dt.date.min), row[0])  # noqa: E731
            for row in sorted(mine, key=key)[: self.capacity]:
                self.world.call(by_sid[row[0]], week, tally)
                self.last_called[row[0]] = day
        self.hours_before = hours_now


class PfkFailed(RuntimeError):
    """pfk exited with a code other than 0: the season stops with pfk's own output."""


class PfkPlanner:
    """pfk's plan, through its CLI in a workspace of its own."""

    def __init__(self, world: World, capacity: int, folder: Path, holdout: float):
        from typer.testing import CliRunner

        from pfkcli.cli import app

        self.world, self.capacity, self.folder, self.app = world, capacity, folder, app
        self.runner = CliRunner()
        self.timings: dict[str, float] = {}
        self.useless_id: str | None = None
        self.by_sid = {s.sid: s for s in world.students}
        folder.mkdir(parents=True, exist_ok=True)
        os.chdir(folder)
        self.pfk("init", ".")
        toml = folder / "pfk.toml"
        text = toml.read_text(encoding="utf-8")
        text = text.replace("calls_per_week = 40", f"calls_per_week = {capacity}")
        if holdout:
            text = text.replace("holdout_share = 0\n", f"holdout_share = {holdout}\n")
            text = text.replace('holdout_seed = ""', f'holdout_seed = "season-{world.seed}"')
        load = math.ceil(len(world.students) / len(TEACHERS) * 1.25)
        text += "".join(f'\n[teachers."{t}"]\ncapacity = {load}\nactive = true\n' for t in TEACHERS)
        text += "".join(
            f'\n[courses."{c.name}"]\nhomework_total = {HOMEWORK_TOTAL}\nhours_total = {HOURS_TOTAL}\nstart = {c.start}\nend = {c.end}\n'
            for c in world.courses
        )
        toml.write_text(text, encoding="utf-8")
        if world.learning:
            self.pfk("playbook", "add", "P_S-F_S-K_L", "--author", "张老师", *(f"--{k}={v}" for k, v in USELESS_SOLUTION.items()))
            self.useless_id = _added_solution(folder / "playbooks" / "P_S-F_S-K_L.yaml", USELESS_SOLUTION["problem"])

    def pfk(self, *args: str) -> str:
        started = time.perf_counter()
        result = self.runner.invoke(self.app, [str(a) for a in args])
        self.timings[str(args[0])] = self.timings.get(str(args[0]), 0.0) + time.perf_counter() - started
        if result.exit_code != 0:
            raise PfkFailed(f"pfk {' '.join(map(str, args))} exited {result.exit_code} in {self.folder}:\n{result.output}\n{result.exception!r}")
        return result.output

    def round(self, week: int, day: dt.date, rows: list[list], tally: dict) -> None:
        roster = self.folder / f"roster-{day}.xlsx"
        write_roster(roster, rows)
        self.pfk("classify", roster.name, "--as-of", day)
        self.pfk("callsheet", "--all", "--as-of", day)
        sheets = [self.folder / "callsheets" / f"{t}-{day}.xlsx" for t in TEACHERS]
        filled = [path for path in sheets if path.exists() and self.work_sheet(path, week, day, tally)]
        if filled:
            self.pfk("record", *(f"callsheets/{path.name}" for path in filled), "--called-on", day)

    def work_sheet(self, path: Path, week: int, day: dt.date, tally: dict) -> bool:
        """A teacher works down her sheet: promises first, then in order, `capacity` calls at most."""
        import openpyxl

        wb = openpyxl.load_workbook(path)
        ws = wb["回访表"]
        header = [c.value for c in ws[1]]
        col = {name: i + 1 for i, name in enumerate(header) if name}
        options = _solution_options(wb) if self.world.learning else {}
        rows = []
        for r in range(2, ws.max_row + 1):
            sid = ws.cell(r, col["学号"]).value
            if sid in self.by_sid:
                rows.append((r, self.by_sid[sid], str(ws.cell(r, col["为什么现在打"]).value or "")))
        tally["sheet_rows"] += len(rows)
        promised = [row for row in rows if self.world.promise_due(row[1], day) or any(w in row[2] for w in PROMISE_WORDS)]
        kept = {row[0] for row in promised}
        calls = (promised + [row for row in rows if row[0] not in kept])[: self.capacity]
        proposals = col.get("建议方案")
        for r, s, why in calls:
            tally["reasons"][_reason(why)] = tally["reasons"].get(_reason(why), 0) + 1
            u = s.call[week]
            p, k = self.world.readings(s, week)
            solution_cell = None
            if self.world.learning and u[C_REACH] < s.reach and s.gone_on is None:
                solution_cell = self.choose_solution(ws, r, col, options, s, week, p)
            solution_id = solution_cell.split()[0] if solution_cell else None
            proposed = ws.cell(r, proposals).value if proposals else None
            was_open = s.complaint_open
            reached = self.world.call(s, week, tally, solution_id, str(proposed).split()[0] if proposed else None)
            if reached and self.world.learning and self.world.uses:
                self.world.uses[-1]["segment"] = ws.cell(r, col["分层代码"]).value if "分层代码" in col else None
            if not reached:
                ws.cell(r, col["回访结果"]).value = NOT_REACHED[int(u[C_MISSED] * len(NOT_REACHED))]
                continue
            ws.cell(r, col["回访结果"]).value = REACHED
            ws.cell(r, col["P（1-5）"]).value = p
            ws.cell(r, col["K（1-5）"]).value = k
            ws.cell(r, col["回访备注"]).value = (NOTES_GOOD if p >= 4 else NOTES_LOW)[int(u[C_NOTE] * 3)]
            if solution_cell:
                ws.cell(r, col["使用方案"]).value = solution_cell
            if was_open:
                ws.cell(r, col["问题类型"]).value = "投诉"
                ws.cell(r, col["是否解决"]).value = "是"
                s.complaint_open = False
            elif u[C_COMPLAINT] < COMPLAINT_SHARE:
                ws.cell(r, col["问题类型"]).value = "投诉"
                ws.cell(r, col["是否解决"]).value = "否"
                s.complaint_open = True
            if u[C_FOLLOW_UP] < FOLLOW_UP_SHARE:
                s.follow_up = day + dt.timedelta(days=5 + int(u[C_FOLLOW_UP + 1] * 6))
                ws.cell(r, col["下次跟进日期"]).value = _datetime(s.follow_up)
        if not calls:
            return False
        wb.save(path)
        return True

    def choose_solution(self, ws, r: int, col: dict, options: dict, s: Student, week: int, p: int) -> str | None:
        """使用方案 as a biased teacher picks it: more often the worse the student looks."""
        u = s.call[week]
        proposed = ws.cell(r, col["建议方案"]).value if "建议方案" in col else None
        if proposed and u[C_PROPOSAL] < PROPOSAL_FOLLOWED:
            return str(proposed)
        if u[C_USE] >= 0.15 + 0.6 * (5 - p) / 4:
            return None
        segment = ws.cell(r, col["分层代码"]).value if "分层代码" in col else None
        choices = [o for o in options.get(segment, []) if o != "其他"]
        return choices[int(u[C_CHOICE] * len(choices))] if choices else None


def _reason(why: str) -> str:
    """The head of a sheet's 为什么现在打, numbers folded: what put the student there
    (「约定 03-07 跟进，已过 2 天」 → 约定跟进, 「23 天没学了，作业落下 3 次」 → N 天没学了)."""
    import re

    head = re.split("[：，；（]", why.strip(), maxsplit=1)[0]
    if head.startswith(("约定", "约好")):
        return "约定跟进"
    return re.sub(r"\d+", "N", head).strip() or "（空）"


def _solution_options(wb) -> dict[str, list[str]]:
    """The hidden 方案选项 sheet: each segment's 使用方案 choices in its own column."""
    if "方案选项" not in wb.sheetnames:
        return {}
    columns = list(wb["方案选项"].iter_cols(values_only=True))
    return {column[0]: [v for v in column[1:] if v] for column in columns if column and column[0]}


def _added_solution(path: Path, problem: str) -> str | None:
    """The id pfk wrote for the solution the simulated teacher added."""
    from ruamel.yaml import YAML

    book = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    for entry in book.get("problems") or []:
        if entry.get("problem") == problem:
            return entry.get("id")
    return None


# -- a season ------------------------------------------------------------------------------------------
def run_season(seed: int, scenario: str, capacity: int, planner: str, students: int = 400, weeks: int = 17,
               learning: bool = False, holdout: float = 0.0, keep: Path | None = None) -> dict:
    """One season; returns its metrics (and, for pfk with --learning or --holdout, the report's reading)."""
    started = time.perf_counter()
    world = World(seed, students, weeks, scenario, learning)
    tally = dict.fromkeys(("calls", "reached", "slipping_calls", "unneeded_calls", "calls_on_gone", "sheet_rows"), 0)
    tally["reasons"] = {}
    folder = None
    here = os.getcwd()
    if planner == "pfk":
        folder = keep or Path(tempfile.mkdtemp(prefix=f"pfk-season-{seed}-"))
        plan = PfkPlanner(world, capacity, folder, holdout)
    else:
        plan = Baseline(world, capacity, planner)
    try:
        for week in range(weeks):
            day = SEASON_START + dt.timedelta(weeks=week)
            plan.round(week, day, world.roster_rows(day), tally)
            world.live_week(week)
        final_day = SEASON_START + dt.timedelta(weeks=weeks - 1)
        result = {"seed": seed, "scenario": scenario, "capacity": capacity, "planner": planner,
                  **world.outcome(final_day), **tally}
        if planner == "pfk" and (learning or holdout):
            result["report"] = read_report(plan, world, final_day)
    finally:
        os.chdir(here)
        if folder is not None and keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    if planner != "pfk":
        result.pop("sheet_rows")
        result.pop("reasons")
    else:
        result["pfk_seconds"] = {command: round(seconds, 1) for command, seconds in plan.timings.items()}
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def read_report(plan: PfkPlanner, world: World, day: dt.date) -> dict:
    """`pfk report` at the season's end, its 方案效果 and 留出对照 sheets read against the planted truth.

    Sheets are found by name and rows by their 方案编号; a column or sheet the report lacks reads n/a,
    so the reading survives the report's rewrite (issue 28)."""
    import openpyxl

    out = plan.folder / "season-report.xlsx"
    plan.pfk("report", "--as-of", day, "-o", out.name)
    wb = openpyxl.load_workbook(out, read_only=True)
    found: dict = {"working": WORKING_SOLUTION, "useless": plan.useless_id, "planted": planted_effects(world.uses)}
    found["uses"] = {label: sum(u["used"] == sid for u in world.uses) for label, sid in (("working", WORKING_SOLUTION), ("useless", plan.useless_id))}
    found["proposed"] = {label: sum(u["proposed"] == sid for u in world.uses) for label, sid in (("working", WORKING_SOLUTION), ("useless", plan.useless_id))}
    found["solutions"] = _sheet_rows(wb, "方案效果")
    found["holdout"] = _sheet_rows(wb, "留出对照")
    found["judged"] = judge(found, world.scenario)
    return found


def planted_effects(uses: list[dict]) -> dict:
    """The working solution's planted effect, in percentage points, to first order: per use (what a
    'used against not used' comparison should find, were it unbiased) and per proposal (intention to
    treat: proposed it against proposed another of the segment), where the sheet proposes."""
    used = [u for u in uses if u["used"] == WORKING_SOLUTION]
    planted: dict = {key: round(statistics.fmean(u[key] for u in used), 1) if used else None for key in ("learning", "renewal")}
    segment = [u for u in uses if u.get("segment") == "P_S-F_S-K_L" and u["proposed"]]
    arm = [u for u in segment if u["proposed"] == WORKING_SOLUTION]
    other = [u for u in segment if u["proposed"] != WORKING_SOLUTION]
    for key in ("learning", "renewal"):
        if arm and other:
            got = lambda group: statistics.fmean(u["if_working"][key] * (u["used"] == WORKING_SOLUTION) for u in group)  # noqa: E731
            planted[f"itt_{key}"] = round(got(arm) - got(other), 1)
    return planted


def _outcome_kind(name: str) -> str | None:
    """Which planted quantity a report outcome measures (None: not planted to first order)."""
    if "续费" in name:
        return "renewal"
    if "仍在学习" in name or "还在学" in name:
        return "learning"
    return None


def _is_bad(name: str) -> bool:
    return any(word in name for word in ("下降", "退", "离开", "流失"))


def _sign(verdict: object) -> int:
    text = str(verdict or "")
    return 1 if "更高" in text else -1 if "更低" in text else 0


def _interval(text: object) -> tuple[float, float] | None:
    parts = str(text or "").replace("~", "～").split("～")
    try:
        return float(parts[0]), float(parts[1])
    except (ValueError, IndexError):
        return None


def _key(rows: list[dict], *words: str) -> str | None:
    return next((k for row in rows for k in row if all(w in k for w in words)), None)


def judge(found: dict, scenario: str) -> dict:
    """Rank of the working against the useless solution, whether intervals cover the planted effect,
    whether the useless one was ever called better, and the holdout's verdicts against the planted call
    effect."""
    judged: dict = {}
    rows = found["solutions"]
    id_key = _key(rows or [], "方案编号")
    if rows is None or id_key is None:
        judged["solutions"] = "n/a"
    else:
        rank_key, outcome_key = _key(rows, "排名"), _key(rows, "结果")
        diff_key, interval_key, verdict_key = _key(rows, "差"), _key(rows, "区间"), _key(rows, "结论")
        order = list(dict.fromkeys(row.get(id_key) for row in rows))
        for label in ("working", "useless"):
            sid = found[label]
            mine = [row for row in rows if row.get(id_key) == sid]
            rank = (mine[0].get(rank_key) if rank_key and mine else None) or (order.index(sid) + 1 if sid in order else None)
            outcomes = []
            for row in mine:
                name = str(row.get(outcome_key, "")) if outcome_key else ""
                kind = _outcome_kind(name)
                planted = 0.0 if label == "useless" else found["planted"].get(f"itt_{kind}", found["planted"].get(kind)) if kind else None
                interval = _interval(row.get(interval_key)) if interval_key else None
                sign = _sign(row.get(verdict_key)) if verdict_key else 0
                outcomes.append({
                    "outcome": name, "diff": row.get(diff_key) if diff_key else None, "interval": interval,
                    "verdict": row.get(verdict_key) if verdict_key else None, "planted": planted,
                    "covers": None if planted is None or interval is None else interval[0] <= planted <= interval[1],
                    "better": sign * (-1 if _is_bad(name) else 1) > 0,
                })
            judged[label] = {"id": sid, "rank": rank, "outcomes": outcomes}
        w, u = judged["working"]["rank"], judged["useless"]["rank"]
        judged["working_ranked_above"] = None if w is None or u is None else float(w) < float(u)
        judged["useless_called_better"] = any(o["better"] for o in judged["useless"]["outcomes"])
        covered = [o["covers"] for o in judged["working"]["outcomes"] if o["covers"] is not None]
        judged["working_intervals_cover"] = f"{sum(covered)}/{len(covered)}" if covered else "n/a"
    holdout = found["holdout"]
    outcome_key, verdict_key = _key(holdout or [], "结果"), _key(holdout or [], "结论")
    if holdout is None or outcome_key is None or verdict_key is None:
        judged["holdout"] = "n/a"
    else:
        planted = 0 if scenario == "nothing" else 1
        table: dict = {}
        for row in holdout:
            name = str(row.get(outcome_key))
            cell = table.setdefault(name, {"kept_higher": 0, "kept_lower": 0, "unclear": 0, "not_yet": 0})
            verdict = str(row.get(verdict_key) or "")
            if "还没" in verdict and _sign(verdict) == 0:
                cell["not_yet"] += 1
            sign = _sign(verdict)
            cell["kept_higher" if sign > 0 else "kept_lower" if sign < 0 else "unclear"] += 1
        for name, cell in table.items():
            # The planted sign, read as 照常 against 留出: calls help (a good outcome higher, a bad one
            # lower where a call reached a slipping student); 'reached in the round' is the check that
            # the arms were kept apart, not an effect.
            cell["planted"] = "check" if "接通" in name else (-planted if _is_bad(name) else planted)
        judged["holdout"] = table
    return judged


def _sheet_rows(wb, name: str) -> list[dict] | None:
    if name not in wb.sheetnames:
        return None
    rows = [list(r) for r in wb[name].iter_rows(values_only=True)]
    header_at = next((i for i, r in enumerate(rows) if sum(v is not None for v in r) >= 3), None)
    if header_at is None:
        return []
    header = [str(v) if v is not None else f"col{i}" for i, v in enumerate(rows[header_at])]
    return [{h: v for h, v in zip(header, r) if v is not None} for r in rows[header_at + 1:] if any(v is not None for v in r)]


# -- the command line ----------------------------------------------------------------------------------
METRICS = ("dropouts", "renewals", "first_contact_median", "first_contact_mean", "unneeded_calls", "calls_on_gone",
           "never_reached", "calls", "reached", "slipping_calls")
SHORT = {"dropouts": "退学", "renewals": "续费", "first_contact_median": "首联中位", "first_contact_mean": "首联均值",
         "unneeded_calls": "无需", "calls_on_gone": "打给已走", "never_reached": "未接通过", "calls": "电话",
         "reached": "接通", "slipping_calls": "滑落接通"}


def _job(args: tuple) -> dict:
    return run_season(*args)


def summarise(results: list[dict]) -> list[dict]:
    groups: dict[tuple, list[dict]] = {}
    for r in results:
        groups.setdefault((r["scenario"], r["capacity"], r["planner"]), []).append(r)
    table = []
    for (scenario, capacity, planner), runs in groups.items():
        row = {"scenario": scenario, "capacity": capacity, "planner": planner, "seeds": [r["seed"] for r in runs]}
        for metric in METRICS:
            values = [r[metric] for r in runs if r.get(metric) is not None]
            row[metric] = round(statistics.fmean(values), 1) if values else None
        row["seconds"] = round(statistics.fmean(r["seconds"] for r in runs), 1)
        if planner == "pfk":
            reasons: dict[str, int] = {}
            for r in runs:
                for reason, n in r["reasons"].items():
                    reasons[reason] = reasons.get(reason, 0) + n
            total = sum(reasons.values()) or 1
            row["reasons_share"] = {k: round(100 * v / total, 1) for k, v in sorted(reasons.items(), key=lambda kv: -kv[1])}
        table.append(row)
    return table


def print_table(table: list[dict]) -> None:
    columns = ("dropouts", "renewals", "first_contact_median", "first_contact_mean", "unneeded_calls",
               "calls_on_gone", "never_reached", "slipping_calls", "reached", "seconds")
    print(f"{'scenario':<14}{'cap':>4} {'planner':<14}" + "".join(f"{c[:10]:>11}" for c in columns))
    for row in table:
        cells = "".join(f"{'' if row.get(c) is None else row[c]:>11}" for c in columns)
        print(f"{row['scenario']:<14}{row['capacity']:>4} {row['planner']:<14}{cells}")
    for row in table:
        if row.get("reasons_share"):
            shares = "  ".join(f"{k} {v}%" for k, v in list(row["reasons_share"].items())[:8])
            print(f"pfk's calls by the reason that put them on the sheet ({row['scenario']}, {row['capacity']}): {shares}")


def check_nothing(table: list[dict]) -> None:
    """Where no call changes anything, every planner must see the same dropouts and renewals (they
    share the world's draws): a difference there is a bug in the simulator, said loudly."""
    for capacity in {row["capacity"] for row in table if row["scenario"] == "nothing"}:
        rows = [row for row in table if row["scenario"] == "nothing" and row["capacity"] == capacity]
        if len({(row["dropouts"], row["renewals"]) for row in rows}) > 1:
            print(f"WARNING: under 'nothing' at {capacity} calls the planners differ in dropouts or renewals: the world leaked", file=sys.stderr)


def print_learning(results: list[dict]) -> None:
    read = [r for r in results if r.get("report")]
    for r in read:
        print(describe_report(r["seed"], r["scenario"], r["capacity"], r["report"]))
    groups: dict[tuple, list[dict]] = {}
    for r in read:
        groups.setdefault((r["scenario"], r["capacity"]), []).append(r["report"]["judged"])
    for (scenario, capacity), judged in groups.items():
        rated = [j for j in judged if j.get("solutions") != "n/a"]
        if not rated:
            continue
        above = sum(j["working_ranked_above"] is True for j in rated)
        covered = sum(_all_cover(j) for j in rated)
        better = sum(j["useless_called_better"] for j in rated)
        print(f"learning over {len(rated)} seeds ({scenario}, {capacity}): working ranked above useless in {above}; "
              f"every working interval covering the planted effect in {covered}; useless called better in {better}")


def _all_cover(judged: dict) -> bool:
    covers = [o["covers"] for o in judged["working"]["outcomes"] if o["covers"] is not None]
    return bool(covers) and all(covers)


def describe_report(seed: int, scenario: str, capacity: int, report: dict) -> str:
    """What pfk's report concluded, against the planted truth, in a few lines."""
    judged = report["judged"]
    planted = report["planted"]
    lines = [f"seed {seed} · {scenario} · {capacity} calls: pfk report against the truth "
             f"(planted, percentage points: {planted}; uses {report['uses']}, proposed {report['proposed']})"]
    if judged.get("solutions") == "n/a":
        lines.append("  方案效果: n/a")
    else:
        for label in ("working", "useless"):
            entry = judged[label]
            lines.append(f"  {label} {entry['id']}: rank {entry['rank'] if entry['rank'] is not None else 'n/a'}")
            for o in entry["outcomes"]:
                interval = "n/a" if o["interval"] is None else f"{o['interval'][0]} ～ {o['interval'][1]}"
                covers = "" if o["covers"] is None else (" covers planted" if o["covers"] else " MISSES planted")
                planted_text = "n/a" if o["planted"] is None else o["planted"]
                lines.append(f"    {o['outcome']}: {o['diff']} ({interval}; planted {planted_text}{covers}) {o['verdict'] or 'n/a'}")
        lines.append(f"  working ranked above useless: {judged['working_ranked_above']}; useless ever called better: "
                     f"{judged['useless_called_better']}; working intervals covering the planted effect: {judged['working_intervals_cover']}")
    holdout = judged.get("holdout")
    if holdout == "n/a":
        lines.append("  留出对照: n/a")
    else:
        lines.append(f"  留出对照 (照常 against 留出; planted call effect: {'none' if scenario == 'nothing' else 'helps slipping students'}):")
        for name, cell in holdout.items():
            lines.append(f"    {name}: planted {cell['planted']}; kept higher {cell['kept_higher']}, lower {cell['kept_lower']}, "
                         f"unclear {cell['unclear']} (not yet over: {cell['not_yet']})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--capacity", type=int, nargs="+", default=[25, 40])
    parser.add_argument("--scenario", nargs="+", default=["calls_help"], choices=SCENARIOS)
    parser.add_argument("--planners", nargs="+", default=list(PLANNERS), choices=ALL_PLANNERS)
    parser.add_argument("--students", type=int, default=400)
    parser.add_argument("--weeks", type=int, default=17)
    parser.add_argument("--learning", action="store_true", help="plant solution effects (issue 28) and read pfk report")
    parser.add_argument("--holdout", type=float, default=0.0, help="[plan] holdout_share for pfk's workspace")
    parser.add_argument("--json", type=Path, help="write every number (per seed and means) to this file")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="keep pfk's workspace here (one season only)")
    args = parser.parse_args(argv)
    jobs = [(seed, scenario, capacity, planner, args.students, args.weeks, args.learning, args.holdout,
             args.keep if args.keep else None)
            for scenario in args.scenario for capacity in args.capacity for planner in args.planners for seed in args.seeds]
    if args.keep and sum(job[3] == "pfk" for job in jobs) > 1:
        parser.error("--keep takes one pfk season only")
    started = time.perf_counter()
    try:
        if args.workers > 1:
            from concurrent.futures import ProcessPoolExecutor

            with ProcessPoolExecutor(args.workers) as pool:
                results = list(pool.map(_job, jobs))
        else:
            results = [_job(job) for job in jobs]
    except PfkFailed as failed:
        print(failed, file=sys.stderr)
        return 1
    table = summarise(results)
    print_table(table)
    check_nothing(table)
    print_learning(results)
    print(f"{len(jobs)} seasons in {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"means": table, "runs": results}, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
