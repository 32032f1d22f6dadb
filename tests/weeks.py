"""Three recorded weeks through the real CLI, for the tests of what the playbooks learn.

Every week: the platform's roster is classified (`pfk classify`), the call sheets are made (`pfk
callsheet --all`), teachers fill them in (openpyxl, as in Excel) and they are recorded (`pfk record`).
F is judged against a fixed cut of 1.0 (pfk.toml), so the segments follow the scores alone.

**The playbook workspace** (`playbook_weeks`), weeks 2026-11-09, 11-16, 11-23:

张老师's ten students Z01–Z10 start 重点挽留 (P2 K4, F 0.31; course ends 2027). On 11-09 all are reached;
Z01–Z04 with the solution 张老师 added that morning (`pfk playbook add`, short title 约定补课计划), Z06 with
the playbook's own solution, Z05 and Z07 with 其他:

| student | 使用方案 | scores 11-09 | segment 11-16 | reached 11-23 | learning on 11-23 | renewed |
| --- | --- | --- | --- | --- | --- | --- |
| Z01 | new | P4 K4 | 重点督促 (up) | yes | yes | 是 |
| Z02 | new | P4 K4 | 重点督促 (up) | yes | yes | |
| Z03 | new | P4 K4 | 重点督促 (up) | no (未接通) | yes | |
| Z04 | new | P2 K4 | 重点挽留 | | no (11-10) | |
| Z05 | 其他 | P4 K4 | 重点督促 (up) | yes | yes | |
| Z06 | default | P2 K2 | 一般挽留 (down) | | yes | |
| Z07 | 其他 | P2 K4 | 重点挽留 | | no | |
| Z08–Z10 | | P2 K4 | 重点挽留 | | no | |

李老师's ten students L01–L10 are 重要价值 (P4 K4, F 2) on a course ending 2026-12-10: its renewal window
opens 11-10. Reached: L01–L06 on 11-09 (before the window), L07 and L08 on 11-16 (L09 not answering),
L02 and L03 on 11-23. Renewed by 11-23: L01, L02, L07.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .conftest import callsheet_ids, fill_callsheet, write_xlsx

WEEKS = ("2026-11-09", "2026-11-16", "2026-11-23")
HEADER = ["学号", "姓名", "运营老师", "手机号", "作业完成次数", "观看课时", "P", "K", "最近学习时间", "课程结束日期", "是否续费", "满意度"]
NEW_SOLUTION = {"problem": "学员说工作太忙，落下的课越积越多", "solution": "一起排一张两周补课表，每周约一次进度确认", "title": "约定补课计划"}
ZHANG = [f"Z{i:02d}" for i in range(1, 11)]
LI = [f"L{i:02d}" for i in range(1, 11)]
HELD = [f"H{i:02d}" for i in range(1, 31)]


def day(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def set_fixed_f(folder: Path, holdout_share: float = 0) -> None:
    """F high from 1.0, whatever the date: the segments follow the scores alone. The seed of the draws
    (the holdout's, the proposals') is the test's: every build proposes the same. With `holdout_share`,
    the holdout on."""
    toml = folder / "pfk.toml"
    text = toml.read_text(encoding="utf-8").replace('f_rule = "pace"', 'f_rule = "fixed"')
    text = text.replace('holdout_seed = ""', f'holdout_seed = "{HOLDOUT_SEED}"')
    if holdout_share:
        text = text.replace("holdout_share = 0\n", f"holdout_share = {holdout_share}\n")
    toml.write_text(text, encoding="utf-8")


def week_of(folder: Path, invoke, week: int, rows: list[list]) -> None:
    """Classify week `week`'s roster and make every call sheet of that week."""
    as_of = WEEKS[week - 1]
    write_xlsx(folder / f"week{week}.xlsx", [HEADER, *rows])
    result = invoke("classify", f"week{week}.xlsx", "--as-of", as_of)
    assert result.exit_code == 0, result.output
    result = invoke("callsheet", "--all", "--as-of", as_of)
    assert result.exit_code == 0, result.output


def sheet(folder: Path, teacher: str, week: int) -> Path:
    return folder / "callsheets" / f"{teacher}-{WEEKS[week - 1]}.xlsx"


def record(folder: Path, invoke, teacher: str, week: int, values: dict[str, dict]) -> None:
    if not values:  # nobody on the sheet was called: nothing to record (pfk record would say so, exit 2)
        return
    fill_callsheet(sheet(folder, teacher, week), values)
    result = invoke("record", sheet(folder, teacher, week))
    assert result.exit_code == 0, result.output


def reached(p: int, k: int, solution: str | None = None) -> dict:
    values = {"回访结果": "已接通", "P（1-5）": p, "K（1-5）": k}
    return {**values, "使用方案": solution} if solution else values


def playbook_rows(week: int) -> list[list]:
    as_of = day(WEEKS[week - 1])
    active = as_of - dt.timedelta(days=1)
    rows = []
    for number, sid in enumerate(ZHANG, 1):
        last = active if week < 3 or sid in ("Z01", "Z02", "Z03", "Z05", "Z06") else day("2026-11-10")
        renewal = "是" if week == 3 and sid == "Z01" else None
        rows.append([sid, f"张{number}", "张老师", 13900000000 + number, 2, 10, 2, 4, last, day("2027-06-30"), renewal, None])
    for number, sid in enumerate(LI, 1):
        renewal = "是" if week == 3 and sid in ("L01", "L02", "L07") else None
        rows.append([sid, f"李{number}", "李老师", 13800000000 + number, 11, 76, 4, 4, active, day("2026-12-10"), renewal, None])
    return rows


def playbook_weeks(folder: Path, invoke) -> dict[str, str]:
    """The playbook workspace of the module docstring. Returns the ids of the solutions used:
    {"new": 张老师's, "default": the playbook's own}."""
    from pfkcli.playbooks import load_playbooks

    assert invoke("init", ".").exit_code == 0
    set_fixed_f(folder)
    added = invoke("playbook", "add", "P_S-F_S-K_L", "--author", "张老师", *(f"--{key}={value}" for key, value in NEW_SOLUTION.items()))
    assert added.exit_code == 0, added.output
    book = load_playbooks(folder / "playbooks")["P_S-F_S-K_L"]
    ids = {"default": book.problems[0].id, "new": book.problems[-1].id}
    new, default = f"{ids['new']} {NEW_SOLUTION['title']}", f"{ids['default']} {book.problems[0].short_title}"

    week_of(folder, invoke, 1, playbook_rows(1))
    record(
        folder, invoke, "张老师", 1,
        {
            "Z01": reached(4, 4, new), "Z02": reached(4, 4, new), "Z03": reached(4, 4, new), "Z04": reached(2, 4, new),
            "Z05": reached(4, 4, "其他"), "Z06": reached(2, 2, default), "Z07": reached(2, 4, "其他"),
            "Z08": reached(2, 4), "Z09": reached(2, 4), "Z10": reached(2, 4),
        },
    )
    record(folder, invoke, "李老师", 1, {sid: reached(4, 4) for sid in LI[:6]})

    week_of(folder, invoke, 2, playbook_rows(2))
    record(folder, invoke, "李老师", 2, {"L07": reached(4, 4), "L08": reached(4, 4), "L09": {"回访结果": "未接通"}})

    week_of(folder, invoke, 3, playbook_rows(3))
    record(folder, invoke, "张老师", 3, {"Z01": reached(4, 4), "Z02": reached(4, 4), "Z03": {"回访结果": "未接通"}, "Z05": reached(4, 4)})
    record(folder, invoke, "李老师", 3, {"L02": reached(4, 4), "L03": reached(4, 4)})
    return ids


# --- the holdout workspace --------------------------------------------------------------------------

HOLDOUT_SEED = "pfk-测试"


def holdout_rows(week: int, unhappy: str | None = None) -> list[list]:
    """王老师's thirty students H01–H30, 重点挽留 (P2 K4, F 0.31), learning, no course end: due for a
    routine call alone until they are called. `unhappy` rates the course 1 star this week."""
    active = day(WEEKS[week - 1]) - dt.timedelta(days=1)
    return [
        [sid, f"王{number}", "王老师", 13700000000 + number, 2, 10, 2, 4, active, None, None, 1 if sid == unhappy else None]
        for number, sid in enumerate(HELD, 1)
    ]


def holdout_weeks(folder: Path, invoke) -> dict:
    """**The holdout workspace**: 王老师's thirty students H01–H30 (`holdout_rows`), `holdout_share = 0.2`
    with a fixed seed. On 11-09 every student on the sheet is reached. On 11-16 the first held-out
    student rates the course 1 star — a risk, not a promise: the round holds, he stays off. On 11-23 the students kept on the plan are due again (14 days); three are reached.
    Returns {"on_sheet": {week: ids}, "held": the held-out ids, "unhappy": that student}."""
    assert invoke("init", ".").exit_code == 0
    set_fixed_f(folder, holdout_share=0.2)
    found: dict = {"on_sheet": {}}
    week_of(folder, invoke, 1, holdout_rows(1))
    found["on_sheet"][1] = callsheet_ids(sheet(folder, "王老师", 1))
    found["held"] = [sid for sid in HELD if sid not in found["on_sheet"][1]]
    record(folder, invoke, "王老师", 1, {sid: reached(2, 4) for sid in found["on_sheet"][1]})
    found["unhappy"] = found["held"][0]
    week_of(folder, invoke, 2, holdout_rows(2, unhappy=found["unhappy"]))
    found["on_sheet"][2] = callsheet_ids(sheet(folder, "王老师", 2))
    record(folder, invoke, "王老师", 2, {sid: reached(2, 4) for sid in found["on_sheet"][2]})
    week_of(folder, invoke, 3, holdout_rows(3))
    found["on_sheet"][3] = callsheet_ids(sheet(folder, "王老师", 3))
    record(folder, invoke, "王老师", 3, {sid: reached(2, 4) for sid in found["on_sheet"][3][:3]})
    return found
