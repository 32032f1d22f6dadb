"""Message templates: the named facts a template may use, declared once, and their safe filling.

A template is plain text with placeholders in braces, each the Chinese name of one fact of the student:
`{姓名}你好，这周交了{已交作业}次作业……`. Nothing else may stand between braces — no attribute, index,
format spec or conversion — and `{{` / `}}` stand for a brace. pfk splits the text itself
(`string.Formatter().parse` only splits) and joins the pieces with the facts' texts: nothing in a
template is ever run.

Each fact is computed for a whole frame of students at once (`fact_texts`) and written the way the
table says. A fact not known for a student is missing (None), never a blank, `nan` or `None` in a
text: a template that needs it is not used for that student (`choose` takes another variant).

>>> compile_template("{姓名}你好").fields   # doctest: +SKIP
frozenset({'姓名'})
"""

from __future__ import annotations

import difflib
import hashlib
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .alert_rules import AlertContext, learning_gap
from .frames import days_between
from .model import shown

# A WeChat message, not an essay: a template longer than this is refused by `pfk playbook check`.
MAX_MESSAGE_CHARS = 200


@dataclass(frozen=True)
class Placeholder:
    name: str  # written `{姓名}` in a template
    meaning: str  # what it holds and how it is written (README, the 说明 sheet, check's hint)
    compute: Callable[[AlertContext], object]  # texts on ctx.frame.index, None where not known


def _missing(values):
    """A text Series of Python objects: None where `values` is blank."""
    return values.astype(object).where(values.notna(), None)


def _text(values):
    text = values.astype("str").str.strip()
    return _missing(text.where(values.notna() & text.ne(""), None))


def _number(values, digits: int = 0):
    """`12`, `12.5`: rounded once, half up, as every output rounds (model.shown); no trailing zeros."""
    import pandas as pd

    rounded = shown(values.to_numpy(dtype="float64"), digits)
    # Each distinct value written once: a school has a few hundred, not 100,000.
    codes, distinct = pd.factorize(rounded)
    texts = [f"{v:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{v:.0f}" for v in distinct.tolist()]
    return pd.Series([texts[c] if c >= 0 else None for c in codes.tolist()], index=values.index, dtype=object)


def _percent(share):
    """A share 0–1 as a whole percent: `45%`."""
    return _number(share * 100).map(lambda text: None if text is None else f"{text}%")


def _month_day(dates):
    """`12月17日`: the year is plain from the context of a chat message."""
    import pandas as pd

    dates = pd.to_datetime(dates)
    text = dates.dt.month.astype("Int64").astype("str") + "月" + dates.dt.day.astype("Int64").astype("str") + "日"
    return _missing(text.where(dates.notna(), None))


def _days(values):
    """Whole days, missing where negative (a date ahead of the as-of date) or unknown."""
    return _number(values.where(values >= 0))


def _homework_left(ctx: AlertContext):
    done = ctx.frame["homework_done"]
    return _number((ctx.courses["homework_total"] - done).clip(lower=0).where(done.notna()))


def _progress(ctx: AlertContext):
    frame = ctx.frame
    known = frame["homework_done"].notna() | frame["hours_watched"].notna()
    return _percent((frame["F"] / 2).where(known))


def _call_day(ctx: AlertContext):
    """The newest reached call's day as said in a chat: 今天, 昨天, 前天, else `11月20日`."""
    called = ctx.callbacks["last_called"]
    ago = days_between(ctx.as_of, called)
    near = ago.map({0: "今天", 1: "昨天", 2: "前天"})
    return _missing(near.where(near.notna(), _month_day(called)).where(called.notna(), None))


def _days_without_study(ctx: AlertContext):
    """As the inactive alert counts them: since the last learning record; never active, since the
    later of the course start and the enrolment."""
    return _days(days_between(ctx.as_of, learning_gap(ctx)[0]))


PLACEHOLDERS: tuple[Placeholder, ...] = (
    Placeholder("姓名", "学员姓名（名单的「姓名」列）", lambda ctx: _text(ctx.frame["name"])),
    Placeholder("老师", "运营老师的名字（发消息的人）", lambda ctx: _text(ctx.frame["teacher"])),
    Placeholder("课程", "课程名（名单的「课程/班级」列；没有这一列时缺）", lambda ctx: _text(ctx.frame["course"])),
    Placeholder("已交作业", "已交作业次数，整数，如 7", lambda ctx: _number(ctx.frame["homework_done"])),
    Placeholder("作业总数", "课程的作业总数（pfk.toml 的 homework_total，或该课程自己的设置），如 11",
                lambda ctx: _number(ctx.courses["homework_total"], 1)),
    Placeholder("剩余作业", "还没交的作业数：作业总数 − 已交作业，至少 0", _homework_left),
    Placeholder("已学课时", "已看的课时（小时），一位小数，如 42.5", lambda ctx: _number(ctx.frame["hours_watched"], 1)),
    Placeholder("总课时", "课程总课时（pfk.toml 的 hours_total），如 76", lambda ctx: _number(ctx.courses["hours_total"], 1)),
    Placeholder("进度", "课程完成度：F ÷ 2（作业、课时各占一半），百分数取整，如 45%；作业和课时都空白时缺", _progress),
    Placeholder("应达进度", "按课程日期到今天应达的完成度（应达 F ÷ 2），如 70%；没有课程日期时缺",
                lambda ctx: _percent(ctx.frame["expected_f"] / 2)),
    Placeholder("未学习天数", "距最近一次学习的天数；从未学习的，从开课或报名（较晚的一天）算起", _days_without_study),
    Placeholder("最近学习", "最近一次学习的日期，如 11月12日；从未学习时缺", lambda ctx: _month_day(ctx.frame["last_active"])),
    # Never "还有0天": on the last day a text with {结课日期} is taken instead.
    Placeholder("距结课天数", "到课程结束还有几天，1 天起；结课当天、已结课或不知道结课日期时缺",
                lambda ctx: _days(ctx.days_left.where(ctx.days_left >= 1))),
    Placeholder("结课日期", "课程结束日期，如 12月17日", lambda ctx: _month_day(ctx.courses["end"])),
    Placeholder("上次回访", "最近一次接通的回访日期，如 11月20日；从未回访时缺", lambda ctx: _month_day(ctx.callbacks["last_called"])),
    Placeholder("满意度", "最近一次的课程满意度（星），如 2 或 2.5", lambda ctx: _number(ctx.frame["satisfaction"], 1)),
    Placeholder("通话日", "最近一次接通的回访是哪天：今天、昨天、前天，更早的写日期如 11月20日；从未回访时缺", lambda ctx: _call_day(ctx)),
    Placeholder("下次跟进", "最近一次回访约好的下次跟进日期，如 12月1日；没约时缺", lambda ctx: _month_day(ctx.callbacks["follow_up"])),
)
PLACEHOLDER_BY_NAME = {placeholder.name: placeholder for placeholder in PLACEHOLDERS}


def fact_texts(ctx: AlertContext, names=None) -> dict[str, list]:
    """Each fact (of `names`, default all) for every student of `ctx.frame`, as written in a message:
    name → a list in the frame's order, None where not known."""
    wanted = PLACEHOLDERS if names is None else [PLACEHOLDER_BY_NAME[name] for name in names]
    return {p.name: p.compute(ctx).tolist() for p in wanted}


class TemplateError(ValueError):
    """A template pfk will not fill; the message (Chinese) says what to write instead."""


@dataclass(frozen=True)
class Template:
    text: str
    parts: tuple[tuple[str, str | None], ...]  # (literal text, placeholder after it or None)
    fields: frozenset[str]


def compile_template(text: str) -> Template:
    """Split a template into literal text and known placeholders; TemplateError on anything else."""
    try:
        pieces = list(string.Formatter().parse(text))
    except ValueError:
        raise TemplateError("花括号没有配对：占位符写成 {姓名} 这样，文字里要用花括号请写 {{ 或 }}") from None
    parts = []
    for literal, field, spec, conversion in pieces:
        if field is None:
            parts.append((literal, None))
            continue
        written = "{" + field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        if field not in PLACEHOLDER_BY_NAME or spec or conversion:
            raise TemplateError(_unknown(field, written))
        parts.append((literal, field))
    return Template(text, tuple(parts), frozenset(field for _, field in parts if field))


def _unknown(field: str, written: str) -> str:
    if not field.strip():
        return f"空的占位符「{written}」：花括号里要写事实的名字，如 {{姓名}}"
    close = difflib.get_close_matches(field, list(PLACEHOLDER_BY_NAME), n=1, cutoff=0.4)
    guess = f"，是不是「{{{close[0]}}}」？" if close else "。"
    known = "、".join(f"{{{name}}}" for name in PLACEHOLDER_BY_NAME)
    return f"不认识的占位符「{written}」{guess}可用的有：{known}"


def template_problem(text: str) -> str | None:
    """What is wrong with a template (an unknown placeholder, braces not paired, too long), or None."""
    try:
        compile_template(text)
    except TemplateError as exc:
        return str(exc)
    if len(text) > MAX_MESSAGE_CHARS:
        return f"太长了（{len(text)} 字）：一条微信消息最多 {MAX_MESSAGE_CHARS} 字"
    return None


def render(template: Template, facts: Mapping[str, str | None]) -> str | None:
    """The template filled with the student's facts; None when one of them is not known."""
    out = []
    for literal, field in template.parts:
        out.append(literal)
        if field is not None:
            value = facts.get(field)
            if value is None:
                return None
            out.append(value)
    return "".join(out)


def choose(variants: Sequence[Template], facts: Mapping[str, str | None], key: str, avoid: str | None = None) -> Template | None:
    """One variant for one student: the same for the same `key` (student ID and scene) and neighbour.

    Only variants whose facts are all known can be used; of those, a variant that says strictly less
    than another (its facts a subset of the other's) is set aside, so the fallback texts written for
    missing facts are used only then. Of the rest, a stable hash of `key` picks one; when that is the
    text `avoid` (the row above on the sheet) and another can be used, the next one is taken, so that
    neighbours never get the same text while there is a choice. None when no variant can be used.
    """
    return pick(usable(variants, frozenset(name for name, value in facts.items() if value is not None)), key, avoid)


def usable(variants: Sequence[Template], known: frozenset[str]) -> list[Template]:
    """The variants `choose` picks among when the facts `known` are known: those it can fill, less any
    that says strictly less than another. The same for every student with the same facts known, so a
    caller drafting thousands can work it out once for each (`messages._fill`)."""
    fitting = [t for t in variants if t.fields <= known]
    return [t for t in fitting if not any(t.fields < other.fields for other in fitting)]


def pick(richest: Sequence[Template], key: str, avoid: str | None = None) -> Template | None:
    """`choose`'s pick among `usable` variants."""
    if not richest:
        return None
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    place = int.from_bytes(digest, "big") % len(richest)
    if richest[place].text == avoid and len(richest) > 1:
        place = (place + 1) % len(richest)
    return richest[place]
