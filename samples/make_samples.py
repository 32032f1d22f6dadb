"""Generate the sample inputs in samples/ (seeded, rebuildable).

Run:  python samples/make_samples.py

Writes next to this script:
  roster.xlsx      - roster as exported by a learning platform (title line, typed values, 合计 row)
  events.csv       - learning-event log (UTF-8 with BOM), aggregates equal the roster
  roster_gbk.csv   - the same roster saved by Excel (China) as "CSV" (GBK)

The cohort: course 数据运营官, 2026-10-08 .. 2026-12-17 (10 weeks), 11 homework, 76 hours,
exported on 2026-11-23. 4 teachers x 12 students. Every one of the eight PFK segments is present
with clear-cut students; 5 students were never called (no P/K). Needs only the standard library and
openpyxl. Deterministic: the CSV files are byte-identical on every run.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

HERE = Path(__file__).resolve().parent
SEED = 2026

COURSE = "数据运营官"
COURSE_START = dt.date(2026, 10, 8)
COURSE_END = dt.date(2026, 12, 17)
EXPORT_DAY = dt.date(2026, 11, 23)
HOMEWORK_TOTAL = 11
HOURS_TOTAL = 76
TEACHERS = ["张老师", "李老师", "王老师", "赵老师"]

SEGMENTS = [
    "P_L-F_L-K_L", "P_L-F_L-K_S", "P_L-F_S-K_L", "P_L-F_S-K_S",
    "P_S-F_L-K_L", "P_S-F_L-K_S", "P_S-F_S-K_L", "P_S-F_S-K_S",
]
# Beyond one student of every segment per teacher: a few extra called students and the
# never-called ("pending") ones, given here by their intended F level.
EXTRA = {
    "张老师": ["P_L-F_L-K_L", "P_S-F_S-K_S"],
    "李老师": ["P_L-F_S-K_L", "P_S-F_L-K_S", "P_S-F_S-K_S"],
    "王老师": ["P_L-F_L-K_S", "P_S-F_S-K_L", "P_L-F_S-K_S"],
    "赵老师": ["P_L-F_L-K_L", "P_S-F_L-K_L", "P_S-F_S-K_S"],
}
PENDING = {"张老师": ["F_L", "F_S"], "李老师": ["F_S"], "王老师": ["F_L"], "赵老师": ["F_S"]}

HEADERS = [
    "学号", "学员姓名", "班主任", "联系电话", "课程名称", "作业完成次数", "已学课时",
    "最近学习时间", "开课日期", "结课日期", "满意度", "积极性", "基础能力", "最近回访日期", "备注",
]
GBK_HEADERS = ["学员ID", "姓名", "负责老师", "手机号", "作业完成次数", "观看课时", "最近学习时间",
               "P", "K", "备注"]
EVENT_HEADERS = ["学号", "时间", "类型", "时长（分钟）"]

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏辉玲建国浩宇欣怡子涵梓轩雨晨思远佳琪文博俊凯晓燕丹雪梅海波宁颖志慧嘉诚亮晶婷雅琳晗睿泽航瑶斌峰")
NOTES = ["工作忙，周末集中学", "已加企业微信", "需要开发票", "出差中，下周回来", "想转下一期",
         "公司报销学费", "SQL部分有疑问", "要求作业点评", "晚上10点后方便接电话", "已退群又重新加入"]


def excel_serial(d: dt.date) -> int:
    return (d - dt.date(1899, 12, 30)).days


def excel_general(x: float) -> str:
    """How Excel's General format shows a number (enough for one-decimal values)."""
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"


def make_students(rng: random.Random) -> list[dict]:
    plan = []  # (teacher, intended segment or None, intended F level)
    for t in TEACHERS:
        for seg in SEGMENTS + EXTRA[t]:
            plan.append((t, seg, seg.split("-")[1]))
        for f in PENDING[t]:
            plan.append((t, None, f))
    rng.shuffle(plan)

    names: set[str] = set()
    phones: set[int] = set()
    students = []
    for i, (teacher, seg, f_level) in enumerate(plan, start=1):
        while True:
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2, 2])))
            if name not in names:
                names.add(name)
                break
        while True:
            phone = int(rng.choice(["138", "139", "135", "136", "150", "151", "158", "159", "186",
                                    "187", "188", "177", "176", "189", "199", "131", "132", "182"])
                        + f"{rng.randrange(10**8):08d}")
            if phone not in phones:
                phones.add(phone)
                break
        if f_level == "F_L":  # keeping up: F >= 1.36, above the linear pace 2*46/70 = 1.31 on 11-23
            hw = rng.choice([8, 8, 9, 9, 9])
            tenths = rng.randint(480, 550)
        else:  # clearly behind
            hw = rng.choice([0, 1, 1, 2, 2, 3, 3])
            tenths = rng.randint(20, 200)
        s = {
            "id": f"DS2026{i:03d}", "name": name, "teacher": teacher, "phone": phone,
            "seg": seg, "f_level": f_level, "hw": hw, "tenths": tenths,
        }
        if seg is not None:
            p_hi, k_hi = seg[2] == "L", seg[-1] == "L"
            s["P"] = 5 if p_hi else rng.choice([1, 2, 2])
            s["K"] = 5 if k_hi else rng.choice([1, 2, 2])
        else:
            s["P"] = s["K"] = None
        students.append(s)
    return students


def pick_dates(rng: random.Random, students: list[dict]) -> list[str]:
    """Choose last-activity dates; returns ids of students inactive >= 7 days on EXPORT_DAY."""
    f_s = [s for s in students if s["f_level"] == "F_S"]
    inactive = rng.sample([s for s in f_s if s["seg"]], 5) + rng.sample([s for s in f_s if not s["seg"]], 1)
    inactive_ids = {s["id"] for s in inactive}
    for s in students:
        if s["id"] in inactive_ids:  # 10 or more days ago
            s["last_date"] = dt.date(2026, 10, 20) + dt.timedelta(days=rng.randint(0, 24))
        else:  # within the last 5 days
            s["last_date"] = dt.date(2026, 11, 18) + dt.timedelta(days=rng.choice([0, 1, 2, 2, 3, 3, 4, 4, 4]))
    return sorted(inactive_ids)


def random_stamp(rng: random.Random, first: dt.date, last: dt.date) -> dt.datetime:
    day = first + dt.timedelta(days=rng.randint(0, (last - first).days))
    hour = rng.choice([7, 8, 12, 13, 19, 20, 20, 21, 21, 22, 22, 23])
    return dt.datetime.combine(day, dt.time(hour, rng.randrange(60)))


def make_events(rng: random.Random, s: dict) -> list[tuple[dt.datetime, str, int | None]]:
    # watching, in 6-minute units (0.1 h) of 2..15 units (12..90 minutes) so the sum is exact
    units, chunks = s["tenths"], []
    while units:
        if units <= 15:
            c = units
        else:
            c = rng.randint(2, 15)
            if units - c == 1:
                c -= 1
        chunks.append(c * 6)
        units -= c
    events = [[None, "看课", m] for m in chunks] + [[None, "作业", None] for _ in range(s["hw"])]
    rng.shuffle(events)
    last = s["last_date"]
    last_stamp = dt.datetime.combine(last, dt.time(rng.choice([19, 20, 21, 22]), rng.randrange(60)))
    events[0][0] = last_stamp
    for e in events[1:]:
        while True:
            stamp = random_stamp(rng, COURSE_START, last)
            if stamp <= last_stamp:
                break
        e[0] = stamp
    s["last_stamp"] = last_stamp
    return [tuple(e) for e in events]


def decorate(rng: random.Random, students: list[dict]) -> None:
    """Turn clean values into what the platform export / people actually put in the cells."""
    by = {s["id"]: s for s in students}
    for s in students:
        s["hw_cell"], s["hours_cell"], s["phone_cell"] = s["hw"], s["tenths"] / 10, s["phone"]
        s["p_cell"], s["k_cell"] = s["P"], s["K"]
        s["sat"] = rng.choice([None, 3, 4, 4, 5, 5, 5]) if rng.random() < 0.8 else None
        s["note"] = None
        s["call_date"] = (dt.date(2026, 11, 2) + dt.timedelta(days=rng.randint(0, 20))) if s["P"] else None

    ids = [s["id"] for s in students]
    order = ids[:]
    rng.shuffle(order)
    take = iter(order)

    # phones stored as text on a few rows
    for sid in [next(take) for _ in range(4)]:
        by[sid]["phone_cell"] = str(by[sid]["phone"])
    # homework as text "7"
    for sid in [next(take) for _ in range(3)]:
        by[sid]["hw_cell"] = str(by[sid]["hw"])
    # one "8次": an F_L student with 8 homework
    s8 = next(by[sid] for sid in take if by[sid]["hw"] == 8)
    s8["hw_cell"] = "8次"
    # one full-width "６": an F_L student who watches ahead but skips homework (6, 63+ h: F >= 1.37)
    s6 = next(by[sid] for sid in take if by[sid]["f_level"] == "F_L" and by[sid]["seg"])
    s6["hw"], s6["tenths"] = 6, rng.randint(630, 660)
    s6["hw_cell"], s6["hours_cell"] = "６", s6["tenths"] / 10
    # hours as text
    for sid in [next(take) for _ in range(3)]:
        by[sid]["hours_cell"] = excel_general(by[sid]["tenths"] / 10)
    # P typed "4分" on a few high-P students (4 counts as high)
    for s in [by[sid] for sid in order if by[sid]["seg"] and by[sid]["seg"][2] == "L"][:3]:
        s["P"], s["p_cell"] = 4, "4分"
    # notes on a few rows
    for s, note in zip(rng.sample(students, 8), rng.sample(NOTES, 8)):
        s["note"] = note


def date_cells(rng: random.Random, students: list[dict]) -> None:
    """Mix the 最近学习时间 cell types (after events fixed the timestamps)."""
    for s in students:
        s["last_cell"] = s["last_stamp"]  # a real datetime cell, unless changed below
    order = students[:]
    rng.shuffle(order)
    kinds = ["slash"] * 4 + ["dash"] * 3 + ["cn"] * 4 + ["serial"]
    for s, kind in zip(order, kinds):
        d = s["last_date"]
        s["last_cell"] = {
            "slash": f"{d.year}/{d.month}/{d.day}",
            "dash": d.isoformat(),
            "cn": f"{d.year}年{d.month}月{d.day}日",
            "serial": excel_serial(d),
        }[kind]


def write_roster_xlsx(students: list[dict], path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "学员名单"
    ncol = len(HEADERS)
    ws.cell(1, 1, f"{COURSE} 2026秋季班 学员名单（导出时间 {EXPORT_DAY.isoformat()}）")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws.cell(1, 1).font = Font(bold=True, size=14)
    ws.cell(1, 1).alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 28
    thin = Side(style="thin", color="BFBFBF")
    for c, h in enumerate(HEADERS, start=1):
        cell = ws.cell(2, c, h)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9E1F2")
        cell.alignment = Alignment(horizontal="center")
        cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)

    row = 3
    for n, s in enumerate(students, start=1):
        values = [s["id"], s["name"], s["teacher"], s["phone_cell"], COURSE, s["hw_cell"],
                  s["hours_cell"], s["last_cell"], COURSE_START, COURSE_END, s["sat"], s["p_cell"],
                  s["k_cell"], s["call_date"], s["note"]]
        for c, v in enumerate(values, start=1):
            cell = ws.cell(row, c, v)
            if isinstance(v, dt.datetime):
                cell.number_format = "yyyy/m/d h:mm"
            elif isinstance(v, dt.date):
                cell.number_format = "yyyy-mm-dd"
            elif c == 4 and isinstance(v, int):
                cell.number_format = "0"
        row += 1
        if n == 26:  # a blank row in the middle, as left behind by a deleted student
            row += 1
    total_hw = sum(s["hw"] for s in students)
    total_hours = round(sum(s["tenths"] for s in students) / 10, 1)
    ws.cell(row, 1, "合计").font = Font(bold=True)
    ws.cell(row, 6, total_hw).font = Font(bold=True)
    ws.cell(row, 7, total_hours).font = Font(bold=True)

    widths = [12, 10, 9, 14, 12, 13, 10, 17, 12, 12, 8, 8, 10, 14, 24]
    for c, w in enumerate(widths, start=1):
        ws.column_dimensions[ws.cell(2, c).column_letter].width = w

    notes = wb.create_sheet("说明")
    notes["A1"] = "1. 本表由学习平台自动导出，数据截至 2026-11-23 08:00，仅供班主任内部使用。"
    notes["A2"] = "2. 作业完成次数、已学课时为系统统计值；积极性、基础能力、最近回访日期由班主任回访后填写。"
    notes.column_dimensions["A"].width = 90

    stamp = dt.datetime(2026, 11, 23, 8, 0, 0)
    wb.properties.creator = "学习平台导出"
    wb.properties.created = stamp
    wb.save(path)


def write_csv(rows: list[list], path: Path, encoding: str) -> None:
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(rows)  # Excel writes CRLF
    path.write_bytes(buf.getvalue().encode(encoding))  # strict: fails on a character GBK lacks


def write_events(students: list[dict], events: dict, path: Path) -> None:
    rows = []
    for s in students:
        for stamp, kind, minutes in events[s["id"]]:
            rows.append((stamp, s["id"], kind, minutes))
    rows.sort(key=lambda r: (r[0], r[1], r[2], r[3] or 0))
    out = [EVENT_HEADERS] + [[sid, stamp.strftime("%Y-%m-%d %H:%M"), kind, "" if m is None else m]
                             for stamp, sid, kind, m in rows]
    write_csv(out, path, "utf-8-sig")


def write_roster_gbk(students: list[dict], path: Path) -> None:
    def shown(v) -> str:  # what Excel writes for the cell: its displayed text
        if v is None:
            return ""
        if isinstance(v, dt.datetime):
            return f"{v.year}/{v.month}/{v.day} {v.hour}:{v.minute:02d}"
        if isinstance(v, float):
            return excel_general(v)
        return str(v)

    rows = [GBK_HEADERS]
    for s in students:
        rows.append([shown(v) for v in (s["id"], s["name"], s["teacher"], s["phone_cell"], s["hw_cell"],
                                         s["hours_cell"], s["last_cell"], s["p_cell"], s["k_cell"], s["note"])])
    rows.append(["合计", "", "", "", str(sum(s["hw"] for s in students)),
                 excel_general(round(sum(s["tenths"] for s in students) / 10, 1)), "", "", "", ""])
    write_csv(rows, path, "gbk")


def main() -> None:
    rng = random.Random(SEED)
    students = make_students(rng)
    inactive = pick_dates(rng, students)
    decorate(rng, students)  # may adjust homework/hours of one student, so before events
    events = {s["id"]: make_events(rng, s) for s in students}
    date_cells(rng, students)

    write_roster_xlsx(students, HERE / "roster.xlsx")
    write_events(students, events, HERE / "events.csv")
    write_roster_gbk(students, HERE / "roster_gbk.csv")

    pending = [s["id"] for s in students if s["seg"] is None]
    print(f"wrote {HERE / 'roster.xlsx'}, events.csv ({sum(map(len, events.values()))} events), roster_gbk.csv")
    print(f"students: {len(students)}; never called: {', '.join(pending)}")
    print(f"inactive >= 7 days on {EXPORT_DAY}: {', '.join(inactive)}")


if __name__ == "__main__":
    main()
