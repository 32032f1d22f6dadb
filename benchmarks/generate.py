"""Generate the benchmark inputs, seeded: a 100,000-student roster over 40 teachers (.xlsx) and a
1,000,000-row learning-event log (.csv) that matches it.

Run on its own with `python benchmarks/generate.py [--students N] [--events N]`; `run.py` calls it
when the files are missing. Writes into `benchmarks/data/` (git-ignored). `--wide` adds five columns
a platform exports beside the fifteen (20 in all), `--csv` writes the roster as UTF-8 CSV too, and
`--no-log` leaves the event log out (its aggregates are still the roster's): the million-student
roster of README › Performance is `--students 1000000 --events 5000000 --wide --csv --no-log`.

The roster looks like a platform export: a title line above the header, phone numbers stored as
numbers, real date cells, blank P/K for the students never called, a free-text 备注 column. Its
作业完成次数 / 观看课时 / 最近学习时间 are the log's own aggregates as of `AS_OF`, so
`pfk classify roster.xlsx` and `pfk classify roster.xlsx --progress events.csv` see the same students.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
SEED = 20261123
AS_OF = dt.date(2026, 11, 23)
STUDENTS = 100_000
EVENTS = 1_000_000
TEACHER_COUNT = 40

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏辉玲建国浩宇欣怡子涵梓轩雨晨思远佳琪文博俊凯晓燕丹雪梅海波宁颖志慧嘉诚亮晶婷雅琳晗睿泽航瑶斌峰")
# (course, start, end): three cohorts at different points of their course on AS_OF.
COURSES = [
    ("数据运营官", dt.date(2026, 10, 8), dt.date(2026, 12, 17)),
    ("新媒体运营", dt.date(2026, 9, 14), dt.date(2026, 11, 30)),
    ("Python数据分析", dt.date(2026, 11, 2), dt.date(2027, 1, 25)),
]
NOTES = ["工作忙，周末集中学", "已加企业微信", "需要开发票", "出差中，下周回来", "想转下一期",
         "公司报销学费", "SQL部分有疑问", "要求作业点评", "晚上10点后方便接电话", "已退群又重新加入"]
PHONE_PREFIXES = [138, 139, 135, 136, 150, 151, 158, 159, 186, 187, 188, 177, 176, 189, 199, 131, 132, 182]
TITLE = "2026 秋季学员名单（导出时间 2026-11-23）"
ROSTER_HEADERS = ["学号", "姓名", "运营老师", "手机号", "课程", "作业完成次数", "观看课时", "最近学习时间",
                  "课程开始日期", "课程结束日期", "满意度", "P", "K", "最近回访日期", "备注"]
EVENT_HEADERS = ["学号", "时间", "类型", "时长（分钟）"]


def teacher_names() -> list[str]:
    return [f"{surname}老师" for surname in SURNAMES[:TEACHER_COUNT]]


WIDE_HEADERS = ["微信号", "城市", "渠道", "报名日期", "学员等级"]
CITIES = ["北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "南京", "西安", "重庆", "苏州", "长沙"]
CHANNELS = ["抖音", "小红书", "公众号", "老学员推荐", "B站", "知乎", "搜索"]
LEVELS = ["普通", "VIP", "SVIP"]


def generate(
    folder: Path = DATA, students: int = STUDENTS, events: int = EVENTS, *, wide: bool = False, csv: bool = False, log: bool = True
) -> list[Path]:
    """Write `roster.xlsx` (and with `csv` `roster.csv`) and, with `log`, `events.csv` into `folder`;
    returns their paths."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.csv as pacsv
    from rustpy_xlsxwriter import write_worksheets

    rng = np.random.default_rng(SEED)
    folder.mkdir(parents=True, exist_ok=True)
    n = students

    ids = np.char.add("S", np.char.zfill(np.arange(1, n + 1).astype(str), 7))
    surnames = np.array(SURNAMES)[rng.integers(0, len(SURNAMES), n)]
    given = np.array(GIVEN)
    one = given[rng.integers(0, len(given), n)]
    two = np.char.add(one, given[rng.integers(0, len(given), n)])
    names = np.char.add(surnames, np.where(rng.random(n) < 0.35, one, two))
    teachers = np.array(teacher_names())[rng.integers(0, TEACHER_COUNT, n)]
    phones = np.array(PHONE_PREFIXES, dtype="int64")[rng.integers(0, len(PHONE_PREFIXES), n)] * 10**8 + rng.integers(0, 10**8, n)
    course_of = rng.choice(len(COURSES), n, p=[0.5, 0.3, 0.2])
    course_names = np.array([c[0] for c in COURSES])[course_of]
    starts = np.array([np.datetime64(c[1], "D") for c in COURSES])[course_of]
    ends = np.array([np.datetime64(c[2], "D") for c in COURSES])[course_of]

    # Events: homework within what the course has released by AS_OF, lessons shared out by an
    # "effort" weight (keen students log more), so no aggregate exceeds the course's 11 / 76.
    as_of = np.datetime64(AS_OF, "D")
    elapsed = np.clip((as_of - starts).astype("int64") / (ends - starts).astype("int64"), 0, 1)
    effort = rng.gamma(2.0, 1.0, n)
    homework_count = rng.binomial(np.round(11 * elapsed).astype("int64"), np.clip(effort / 3, 0.05, 1))
    lesson_of = rng.choice(n, events - int(homework_count.sum()), p=effort / effort.sum())
    student_of = np.concatenate([np.repeat(np.arange(n), homework_count), lesson_of])
    is_homework = np.arange(events) < homework_count.sum()
    span = np.maximum((np.minimum(as_of, ends[student_of]) - starts[student_of]).astype("int64"), 0)
    day = starts[student_of] + (rng.random(events) * (span + 1)).astype("int64")
    minute_of_day = rng.choice([7, 8, 12, 13, 19, 20, 21, 22, 23], events) * 60 + rng.integers(0, 60, events)
    stamp = day.astype("datetime64[m]") + minute_of_day.astype("timedelta64[m]")
    minutes = np.where(is_homework, 0, rng.integers(8, 91, events))
    order = np.argsort(stamp, kind="stable")
    student_of, stamp, is_homework, minutes = student_of[order], stamp[order], is_homework[order], minutes[order]

    log_table = None if not log else pa.table(
        {
            "学号": pa.array(ids[student_of]),
            # numpy's "2026-10-08T07:50", written as exports do: "2026-10-08 07:50".
            "时间": pa.array(np.char.replace(np.datetime_as_string(stamp, unit="m"), "T", " ")),
            "类型": pa.array(np.where(is_homework, "作业", "看课")),
            "时长（分钟）": pa.array(minutes, mask=is_homework),
        }
    )
    written = []
    if log_table is not None:
        written.append(folder / "events.csv")
        pacsv.write_csv(log_table, written[-1], pacsv.WriteOptions(quoting_style="none"))

    # The roster's aggregates are the log's, as of AS_OF.
    homework = np.bincount(student_of, weights=is_homework, minlength=n)
    hours = np.round(np.bincount(student_of, weights=minutes, minlength=n) / 60, 4)
    last = np.full(n, np.iinfo("int64").min)
    np.maximum.at(last, student_of, stamp.astype("datetime64[D]").astype("int64"))
    has_event = last > np.iinfo("int64").min
    last_active = np.where(has_event, last, np.iinfo("int64").min).astype("datetime64[D]")

    called = rng.random(n) < 0.85
    p = np.where(called, rng.integers(1, 6, n), 0).astype("float64")
    k = np.where(called, rng.integers(1, 6, n), 0).astype("float64")
    p[~called] = np.nan
    k[~called] = np.nan
    callback = as_of - rng.integers(0, 40, n).astype("timedelta64[D]")
    satisfaction = rng.integers(1, 6, n).astype("float64")
    satisfaction[rng.random(n) < 0.2] = np.nan
    notes = np.array(NOTES, dtype=object)[rng.integers(0, len(NOTES), n)]
    notes[rng.random(n) < 0.7] = None

    def dates(values, mask=None):
        series = pd.Series(values.astype("datetime64[ms]"))
        return series if mask is None else series.where(mask)

    roster = pd.DataFrame(
        {
            "学号": ids,
            "姓名": names,
            "运营老师": teachers,
            "手机号": phones,
            "课程": course_names,
            "作业完成次数": homework,
            "观看课时": hours,
            "最近学习时间": dates(last_active, has_event),
            "课程开始日期": dates(starts),
            "课程结束日期": dates(ends),
            "满意度": satisfaction,
            "P": p,
            "K": k,
            "最近回访日期": dates(callback, called),
            "备注": notes,
        },
        columns=ROSTER_HEADERS,
    )
    if wide:
        roster["微信号"] = np.char.add("wx_", np.char.zfill(rng.integers(0, 10**9, n).astype(str), 9))
        roster["城市"] = np.array(CITIES)[rng.integers(0, len(CITIES), n)]
        roster["渠道"] = np.array(CHANNELS)[rng.integers(0, len(CHANNELS), n)]
        roster["报名日期"] = dates(starts - rng.integers(1, 60, n).astype("timedelta64[D]"))
        roster["学员等级"] = np.array(LEVELS)[rng.choice(len(LEVELS), n, p=[0.8, 0.15, 0.05])]
    if csv:
        written.append(folder / "roster.csv")
        plain = roster.copy()
        for name in plain.columns:
            if pd.api.types.is_datetime64_any_dtype(plain[name]):
                plain[name] = plain[name].dt.strftime("%Y-%m-%d")
        pacsv.write_csv(pa.Table.from_pandas(plain, preserve_index=False), written[-1])
    roster_path = folder / "roster.xlsx"
    write_worksheets(
        [("学员名单", roster)],
        str(roster_path),
        header_row={"学员名单": 1},
        merge_ranges={"学员名单": [(0, 0, 0, len(roster.columns) - 1, TITLE)]},
        datetime_format="yyyy-mm-dd",
    )
    return [roster_path, *written]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=STUDENTS)
    parser.add_argument("--events", type=int, default=EVENTS)
    parser.add_argument("--folder", type=Path, default=DATA)
    parser.add_argument("--wide", action="store_true", help="five more columns (20 in all)")
    parser.add_argument("--csv", action="store_true", help="the roster as CSV too")
    parser.add_argument("--no-log", action="store_true", help="no event log")
    args = parser.parse_args()
    for path in generate(args.folder, args.students, args.events, wide=args.wide, csv=args.csv, log=not args.no_log):
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
