"""`pfk messages` (SPEC §11): each teacher's WeChat drafts due now, and what was sent, back as touches.

A draft is one scene (scenes.py) for one student, filled from a template of the student's segment
playbook (`messages:` in the YAML, templates.py) with the student's own facts. A student several scenes
apply to gets one draft, for the first scene in `SCENES` order (one message, the most pressing); a
scene asked for by name drafts that scene alone. The drafts come in the order of this week's calls
(plan.py), then the students not due for a call, by scene and ID.

Which template: the playbook's variants for the scene (for a renewal stage and a persona, the persona's
group first: `scenes.template_keys`); of those whose facts are all known, one is picked by a stable
hash of student ID and scene (`templates.choose`). A student no variant fits gets no draft; the result
counts them by scene and reason.

The teacher marks 已发送 = 是 on the sheet and `pfk record` brings it back: each marked row is a touch
(history table `touches`), not a callback. A scene is not offered again within its window after a
touch (scenes.py); recording the same sheet twice stores each touch once.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from . import history
from .alert_rules import AlertContext
from .callsheet import callsheet_name, finished_course, keep_filled
from .columns import normalise_header
from .errors import InputError, Problem, UsageError
from .excel import SheetSpec, fitted_heights, write_workbooks
from .outputs import (
    INFO_TEACHER,
    MESSAGE_COLUMNS,
    MESSAGES_INFO_AS_OF,
    MESSAGES_INFO_SHEET,
    MESSAGES_INFO_SHEET_ID,
    MESSAGES_SHEET,
)
from .paths import MESSAGES, check_output_folder, check_outputs, inside, make_folder
from .plan import build_plan
from .playbooks import load_playbooks
from .pool import placed_snapshot
from .progress import step
from .reading import label_pairs
from .scenes import BEHIND, CONGRATULATIONS, PERSONA_SEPARATOR, PERSONAS, RENEWAL_SCENES, SCENE_BY_NAME, SCENES, offered, personas, scene_inputs, template_keys
from .segments import BY_CODE
from .team import teachers_to_serve
from .templates import PLACEHOLDERS, Template, compile_template, fact_texts, pick, render, usable
from .values import cell_text, parse_id
from .workspace import Workspace

SENT_CHOICES = {"是": True, "否": False}
WIDTHS = {"学号": 12.0, "姓名": 9.0, "场景": 16.0, "原因": 30.0, "消息": 50.0, "已发送": 8.0}  # 场景: 连续未学习关怀 on one line


@dataclass
class Skipped:
    """Students a scene applied to who got no draft, and why (one line, Chinese)."""

    scene: str
    reason: str
    students: int


@dataclass
class Drafts:
    # One row per draft, each teacher's together, in order: student_id name teacher segment scene why message
    rows: object
    skipped: list[Skipped] = field(default_factory=list)
    held_back: dict[str, int] = field(default_factory=dict)  # scene → students messaged within its window
    deferred: int = 0  # renewal drafts beyond [messages] renewal_per_day, left for the following days


def draft_messages(ctx: AlertContext, playbooks: dict, touches, teachers: list[str] | None = None, scene: str | None = None) -> Drafts:
    """The drafts due on `ctx.as_of` for `teachers` (default: every teacher), of every scene or the one named.

    `touches` is history.newest_touches: a scene messaged within its window is held back.

    >>> draft_messages(ctx, load_playbooks(None), history.newest_touches(None, ctx.as_of)).rows.loc[0, "scene"]  # doctest: +SKIP
    '续费7天'
    """
    import numpy as np
    import pandas as pd

    frame = ctx.frame
    scenes = SCENES if scene is None else (SCENE_BY_NAME[scene],)
    applies, held = offered(scene_inputs(ctx), touches, scenes)
    chosen = sorted(frame["teacher"].dropna().unique().tolist()) if teachers is None else list(teachers)
    mine = frame["teacher"].isin(chosen)
    # Each student's first open scene: set from the last to the first, so the first wins.
    scene_of = pd.Series(None, index=frame.index, dtype=object)
    for item in reversed(scenes):
        scene_of = scene_of.where(~(applies[item.name] & ~held[item.name] & mine), item.name)
    held_back = {item.name: int((held[item.name] & mine).sum()) for item in scenes if (held[item.name] & mine).any()}

    positions = np.flatnonzero(scene_of.notna().to_numpy())
    if not len(positions):
        return Drafts(_empty_rows(), held_back=held_back)
    positions = positions[_draft_order(ctx, chosen, scene_of, positions)]
    positions, deferred = _renewals_of_the_day(frame, scene_of, positions, ctx.config.messages.renewal_per_day)
    sub = AlertContext(frame.iloc[positions], ctx.config, ctx.as_of, ctx.callbacks.iloc[positions], ctx.ratings)
    names = scene_of.iloc[positions].tolist()
    rows, skipped = _fill(sub, playbooks, names)
    return Drafts(rows, skipped, held_back, deferred)


def _renewals_of_the_day(frame, scene_of, positions, per_day: int):
    """`positions` (in drafting order) with each teacher's renewal drafts cut to the first `per_day`,
    and how many were cut: the renewal month spread over its days as the plan spreads the calls over
    its weeks (the students left out are still in their stage tomorrow, first in the plan's order)."""
    import pandas as pd

    renewal = scene_of.iloc[positions].isin(RENEWAL_SCENES).to_numpy()
    teacher = frame["teacher"].iloc[positions].to_numpy()
    nth = pd.Series(renewal.astype("int64")).groupby(teacher).cumsum().to_numpy()
    keep = ~renewal | (nth <= per_day)
    return positions[keep], int((~keep).sum())


def _draft_order(ctx: AlertContext, teachers: list[str], scene_of, positions):
    """The order of the drafted rows (an index into `positions`): teacher by teacher, the students of
    this week's calls in the plan's order, then the others by scene and ID."""
    import numpy as np
    import pandas as pd

    frame = ctx.frame
    plan = build_plan(ctx, max(1, len(frame)), teachers, texts=False)
    in_plan = pd.Series(np.arange(len(plan.rows)), index=plan.rows["student_id"].to_numpy())
    in_plan = in_plan[~in_plan.index.duplicated()]
    ids = frame["student_id"].iloc[positions]
    plan_place = ids.map(in_plan).fillna(len(plan.rows)).to_numpy()
    scene_rank = scene_of.iloc[positions].map({s.name: n for n, s in enumerate(SCENES)}).to_numpy()
    teacher = pd.Categorical(frame["teacher"].iloc[positions], categories=teachers).codes
    id_rank = pd.factorize(ids, sort=True)[0]
    return np.lexsort((id_rank, scene_rank, plan_place, teacher))


def _fill(ctx: AlertContext, playbooks: dict, scene_names: list[str]):
    """One draft per row of `ctx.frame` (scene `scene_names[i]`), and the students none fitted."""
    import numpy as np
    import pandas as pd

    frame = ctx.frame
    facts = fact_texts(ctx)
    persona_of = personas(ctx).tolist()
    whys = {name: scene.why(ctx).tolist() for name, scene in SCENE_BY_NAME.items() if name in set(scene_names)}
    offers = {p.name: p.offer for p in PERSONAS}
    compiled = _compiled(playbooks)
    ids, segments = frame["student_id"].tolist(), frame["segment"].tolist()
    kept, messages, reasons = [], [], []
    skipped: Counter = Counter()
    previous: dict[str, str] = {}  # each teacher's last text: the next row takes another variant when it can
    # The variants a student may get depend on the segment, the template and which facts are known:
    # worked out once for each such case, not for each of 90,000 drafts.
    usable_for: dict[tuple, list] = {}
    # Which facts each student has, as one number per row (a bit per fact), each made a set once.
    names = list(facts)
    bits = np.zeros(len(frame), dtype=np.int64)
    for place, values in enumerate(facts.values()):
        bits |= np.fromiter((value is not None for value in values), dtype=bool, count=len(frame)).astype(np.int64) << place
    known_of = {b: frozenset(n for place, n in enumerate(names) if b >> place & 1) for b in set(bits.tolist())}
    known_by_row = [known_of[b] for b in bits.tolist()]
    for i, (student, segment, name, teacher) in enumerate(zip(ids, segments, scene_names, frame["teacher"].tolist())):
        own = {fact: values[i] for fact, values in facts.items()}
        known = known_by_row[i]
        persona = persona_of[i] if name in RENEWAL_SCENES or name == CONGRATULATIONS else None
        picked, used_key = None, None
        for key in template_keys(name, persona):
            case = (segment, key, known)
            if case not in usable_for:
                usable_for[case] = usable(compiled.get(segment, {}).get(key, ()), known)
            picked = pick(usable_for[case], f"{student}|{name}", avoid=previous.get(teacher))
            if picked is not None:
                used_key = key
                break
        if picked is None:
            skipped[(name, _why_none(compiled.get(segment, {}), name, persona, own, segment))] += 1
            continue
        why = whys[name][i] or ""
        if used_key != name:
            why += f"；按人群选的话术：{offers[persona]}"
        kept.append(i)
        previous[teacher] = picked.text
        messages.append(render(picked, own))
        reasons.append(why)
    rows = frame.iloc[kept][["student_id", "name", "teacher", "segment"]].reset_index(drop=True)
    rows["scene"] = pd.Series([scene_names[i] for i in kept], dtype="str")
    rows["why"] = pd.Series(reasons, dtype="str")
    rows["message"] = pd.Series(messages, dtype="str")
    return rows, [Skipped(scene, reason, count) for (scene, reason), count in skipped.items()]


def _why_none(books: dict, scene: str, persona: str | None, facts: dict, segment: str) -> str:
    variants = [t for key in template_keys(scene, persona) for t in books.get(key, ())]
    name = BY_CODE[segment].name if segment in BY_CODE else segment
    if not variants:
        return f"「{name}」的话术里没有这个场景的消息模板"
    missing = sorted({f for t in variants for f in t.fields if facts.get(f) is None}, key=_placeholder_rank)
    return f"缺少 {'、'.join(f'{{{f}}}' for f in missing)}：每条模板都要用到其中一项"


def _placeholder_rank(name: str) -> int:
    return [p.name for p in PLACEHOLDERS].index(name)


# The keys whose texts the built-in playbooks lend to a workspace's playbook that has none of its own:
# every scene, and the texts that keep the tone true to the facts (a student behind is not praised).
LENT_KEYS = (*SCENE_BY_NAME, f"续费{PERSONA_SEPARATOR}{BEHIND}", f"{CONGRATULATIONS}{PERSONA_SEPARATOR}{BEHIND}")


def _compiled(playbooks: dict) -> dict[str, dict[str, tuple[Template, ...]]]:
    """segment → playbook key → its templates, split once (the playbooks were checked when loaded).

    A workspace's playbooks made before a scene existed (通话跟进, 转下期, ·落后) have no texts for it:
    the built-in playbook's stand in until the team writes its own, so that a release's new scene is
    drafted at once. A key the team keeps empty on purpose (`通话跟进: []`) stays empty."""
    lacking = any(key not in book.messages for book in playbooks.values() for key in LENT_KEYS)
    builtin = load_playbooks(None) if lacking else {}

    def texts_of(code: str, book) -> dict:
        lent = {key: builtin[code].messages[key] for key in LENT_KEYS if key not in book.messages and code in builtin and key in builtin[code].messages}
        return {**book.messages, **lent}

    return {code: {key: tuple(compile_template(t) for t in texts) for key, texts in texts_of(code, book).items()} for code, book in playbooks.items()}


def _empty_rows():
    import pandas as pd

    return pd.DataFrame({name: pd.Series(dtype="str") for name in ("student_id", "name", "teacher", "segment", "scene", "why", "message")})


# --- the workbooks ----------------------------------------------------------------------------------


@dataclass
class WrittenMessages:
    teacher: str
    path: Path
    scenes: dict[str, int]  # scene → drafts, in scene order

    @property
    def drafts(self) -> int:
        return sum(self.scenes.values())


@dataclass
class MessagesResult:
    as_of: dt.date
    snapshot_date: dt.date
    sheets: list[WrittenMessages] = field(default_factory=list)
    quiet: list[str] = field(default_factory=list)  # teachers with nothing to send: no file
    skipped: list[Skipped] = field(default_factory=list)
    held_back: dict[str, int] = field(default_factory=dict)
    finished: str | None = None  # no drafts because the course is over: why and what instead (callsheet.finished_course)
    deferred: int = 0  # renewal drafts left for the following days, beyond `renewal_per_day` a teacher
    renewal_per_day: int = 0  # [messages] renewal_per_day


def messages_name(teacher: str, as_of: dt.date, taken: set[str] | None = None, scene: str | None = None) -> str:
    """`<teacher>-<as-of>.xlsx`, named as call sheets are; one scene alone: `<teacher>-<as-of>-<scene>.xlsx`,
    so that it never replaces the day's full sheet a teacher may be filling in."""
    name = callsheet_name(teacher, as_of, taken)
    return name if scene is None else name.removesuffix(".xlsx") + f"-{scene}.xlsx"


def make_messages(workspace: Workspace, as_of: dt.date, teacher: str | None = None, scene: str | None = None, folder: Path | None = None) -> MessagesResult:
    """Write `messages/<teacher>-<as-of>.xlsx` for one teacher (or every teacher with drafts when
    `teacher` is None), from the newest snapshot on or before `as_of`; with `scene`, that scene alone
    (`<teacher>-<as-of>-<scene>.xlsx`)."""
    folder = folder or workspace.messages_dir
    check_output_folder(folder, workspace.root)
    if scene is not None and scene not in SCENE_BY_NAME:
        raise UsageError(f"没有「{scene}」这个场景；可用：{'、'.join(SCENE_BY_NAME)}")
    workspace.history_store(
        "pfk messages 需要工作区（分层快照和发过的消息都在里面）：请先运行 pfk init，并在工作区里运行 pfk classify",
        "还没有分层结果：请先在工作区里运行 pfk classify",
    )
    playbooks = load_playbooks(workspace.playbooks_dir)
    with workspace.open_history() as conn:
        frame, callbacks, snapshot_date = placed_snapshot(conn, workspace.config, as_of)
        ctx = AlertContext(frame, workspace.config, as_of, callbacks, history.ratings_before(conn, as_of))
        finished = finished_course(ctx, "没有要发的消息")
        if finished and teacher is not None and not (frame["teacher"] == teacher).any():
            raise UsageError(f"{teacher}：{finished}")
        teachers = teachers_to_serve(frame["teacher"], teacher)
        with step("起草消息"):
            drafts = draft_messages(ctx, playbooks, history.newest_touches(conn, as_of), teachers, scene)
        result = MessagesResult(
            as_of, snapshot_date, skipped=drafts.skipped, held_back=drafts.held_back, deferred=drafts.deferred,
            renewal_per_day=workspace.config.messages.renewal_per_day,
        )
        rows = drafts.rows
        with_drafts = [t for t in teachers if (rows["teacher"] == t).any()]
        result.quiet = [t for t in teachers if t not in with_drafts]
        if not with_drafts:
            result.finished = finished
            return result
        taken: set[str] = set()
        targets = [inside(folder, messages_name(t, as_of, taken, scene)) for t in with_drafts]
        check_outputs(targets, workspace_root=workspace.root, folder_made_later=True)
        keep_filled(targets, MESSAGES_SHEET, ["已发送"], "消息表")
        check_outputs(targets, workspace_root=workspace.root, folder_made_later=True, kind=MESSAGES)
        make_folder(folder, "消息表")
        per_teacher = [rows[rows["teacher"] == t].reset_index(drop=True) for t in with_drafts]
        ids = history.register_sheets(conn, "messages", as_of, [(t, own["student_id"].tolist()) for t, own in zip(with_drafts, per_teacher)])
    scene_names = [s.name for s in SCENES]
    books = [
        (target, partial(messages_sheets, own, name, as_of, sheet_id, workspace.config))
        for name, own, target, sheet_id in zip(with_drafts, per_teacher, targets, ids)
    ]
    for name, own, target in zip(with_drafts, per_teacher, write_workbooks("写出消息表", books, kind=MESSAGES)):
        counts = own["scene"].value_counts()
        result.sheets.append(WrittenMessages(name, target, {s: int(counts[s]) for s in scene_names if s in counts}))
    return result


def messages_sheets(rows, teacher: str, as_of: dt.date, sheet_id: str, config) -> list[SheetSpec]:
    """消息 (one row per draft, 已发送 to mark) and 说明 (teacher, date, id, how to use it, the scenes)."""
    import pandas as pd

    table = pd.DataFrame(
        {
            "学号": rows["student_id"],
            "姓名": rows["name"],
            "场景": rows["scene"],
            "原因": rows["why"],
            "消息": rows["message"],
            "已发送": pd.Series(None, index=rows.index, dtype="str"),
        },
        columns=list(MESSAGE_COLUMNS),
    )
    heights = fitted_heights(table, WIDTHS, ["消息", "原因"])
    colours = rows["segment"].map({code: s.colour for code, s in BY_CODE.items()}).tolist()
    sent = {
        "type": "list",
        "values": list(SENT_CHOICES),
        "input_title": "已发送",
        "input_message": "发出这条消息后选「是」；交回后由主管运行 pfk record 记录",
        "error_title": "已发送",
        "error_message": "请从下拉框里选「是」或「否」",
        "error_style": "stop",
    }
    page = {
        "landscape": True,
        "fit_to_pages": (1, 0),
        "repeat_rows": 0,
        "header": f"&L微信消息  运营老师：{teacher.replace('&', '&&')}&R{as_of:%Y-%m-%d}",
        "footer": "&C第 &P 页，共 &N 页",
    }
    return [
        SheetSpec(
            MESSAGES_SHEET, table, row_colours=colours, validations={"已发送": sent}, widths=WIDTHS, freeze_columns=2,
            wrap=True, row_heights=heights, page=page,
        ),
        _info_sheet(rows, teacher, as_of, sheet_id, config),
    ]


def _info_sheet(rows, teacher: str, as_of: dt.date, sheet_id: str, config) -> SheetSpec:
    import pandas as pd

    counts = rows["scene"].value_counts()
    per_scene = "、".join(f"{s.name} {int(counts[s.name])}" for s in SCENES if s.name in counts)
    info = [
        (INFO_TEACHER, teacher),
        (MESSAGES_INFO_AS_OF, as_of.isoformat()),
        (MESSAGES_INFO_SHEET_ID, sheet_id),
        ("消息数", f"{len(rows)} 条（{per_scene}）"),
        ("怎么用", "把「消息」一格复制到微信，按学员的情况改几个字再发；发出后在「已发送」选「是」。"
                  "保存后交给主管运行 pfk record 记录（记为消息，不算回访）；请勿改动表头、学号、场景和本页的编号。"),
        ("为什么一人一条", "同一天符合几个场景的学员，只起草最要紧的一条（按下面场景的先后）。"),
        *[(f"场景：{s.name}", f"{s.rule(config)}；{s.window}") for s in SCENES],
    ]
    table = pd.DataFrame(info, columns=["项目", "内容"])
    widths = {"项目": 16.0, "内容": 80.0}
    heights = fitted_heights(table, widths, ["内容"])
    page = {"fit_to_pages": (1, 0), "footer": "&C第 &P 页，共 &N 页"}
    return SheetSpec(MESSAGES_INFO_SHEET, table, autofilter=False, widths=widths, wrap=True, row_heights=heights, page=page)


# --- what was sent comes back -----------------------------------------------------------------------


_HEADERS = {normalise_header(h): n for h, n in (("学号", "student_id"), ("场景", "scene"), ("消息", "message"), ("已发送", "sent"))}
_REQUIRED = (("学号", "student_id"), ("场景", "scene"), ("已发送", "sent"))


@dataclass
class TouchSheet:
    """One messages sheet as read back: the touches to store and the rows that cannot be."""

    path: Path
    sheet: history.IssuedSheet
    day: dt.date
    rows: list[dict]
    problems: list[Problem] = field(default_factory=list)


@dataclass
class TouchOutcome:
    path: Path
    teacher: str
    sheet_date: dt.date
    status: str  # new / same / empty / invalid
    touches: int = 0  # stored by this recording
    problems: list[Problem] = field(default_factory=list)  # rows not recorded
    warnings: list[Problem] = field(default_factory=list)


def issued_messages_sheet(conn, path: Path, pairs: dict[str, str] | None = None) -> history.IssuedSheet | None:
    """The messages sheet as pfk handed it out, from the id on its 说明 sheet (`pairs`, when the
    caller has read it already); None for a file that is not a messages sheet (a call sheet). Refused
    when the id is unknown or the 说明 contradicts it."""
    pairs = label_pairs(path, MESSAGES_INFO_SHEET) if pairs is None else pairs
    sheet_id = pairs.get(MESSAGES_INFO_SHEET_ID)
    if not sheet_id:
        return None
    return history.check_issued(conn, path.name, sheet_id, "messages", pairs.get(INFO_TEACHER), pairs.get(MESSAGES_INFO_AS_OF))


def read_touches(path: Path, sheet: history.IssuedSheet, sent_on: dt.date | None, today: dt.date) -> TouchSheet:
    """The rows marked 已发送 = 是 of one messages sheet, dated `sent_on` (default: the sheet's date)."""
    from .reading import read_table

    day = sent_on or sheet.as_of
    if day > today:
        raise InputError(f"{path.name}: 消息表日期 {day} 还没到，不能记录还没发的消息；如果日期写错了，请用 --called-on 指定发送日期")
    raw = read_table(path, MESSAGES_SHEET, matcher=lambda h: _HEADERS.get(normalise_header(h)))
    position: dict[str, int] = {}
    for index, header in enumerate(raw.headers):
        position.setdefault(_HEADERS.get(normalise_header(header), ""), index)
    missing = [header for header, name in _REQUIRED if name not in position]
    if missing:
        raise InputError(f"{raw.file} › {raw.sheet}: 缺少列 {'、'.join(missing)}，表头被改动过吗？请用 pfk messages 重新生成")
    data = raw.data

    def column(name: str) -> list:
        return data[data.columns[position[name]]].tolist() if name in position else [None] * len(data)

    ids, _ = parse_id(data[data.columns[position["student_id"]]])
    on_sheet = set(sheet.students)
    problems, rows, seen = [], [], set()

    def problem(row: int, name: str, code: str, message: str) -> None:
        header = raw.headers[position[name]]
        problems.append(Problem(file=path.name, sheet=MESSAGES_SHEET, row=int(row), column=header, code=code, message=message))

    for row, student, scene, message, mark in zip(data.index, ids.tolist(), column("scene"), column("message"), column("sent")):
        mark, scene = cell_text(mark), cell_text(scene)
        if mark is None or mark == "否":
            continue
        if mark not in SENT_CHOICES:
            problem(row, "sent", "bad_choice", f'"{mark[:20]}" 请选「是」或「否」')
            continue
        student = cell_text(student)
        if student is None:
            problem(row, "student_id", "missing_value", "标了已发送，但学号是空的")
        elif student not in on_sheet:
            problem(row, "student_id", "not_on_sheet", f"学号 {student[:20]} 不在这份消息表上")
        elif scene not in SCENE_BY_NAME:
            problem(row, "scene", "bad_choice", f'"{(scene or "")[:20]}" 不是消息场景（可选：{"、".join(SCENE_BY_NAME)}）')
        elif (student, scene) not in seen:
            seen.add((student, scene))
            rows.append({"teacher": sheet.teacher, "student_id": student, "scene": scene, "touched_on": day, "message": cell_text(message)})
    return TouchSheet(path, sheet, day, rows, problems)


def record_touches(conn, item: TouchSheet) -> TouchOutcome:
    """Store the touches of one messages sheet read by `read_touches`, in one transaction."""
    if not item.rows:
        status = "invalid" if item.problems else "empty"
        return TouchOutcome(item.path, item.sheet.teacher, item.day, status, 0, item.problems)
    new = history.store_touches(conn, item.sheet.id, item.path.name, item.rows)
    return TouchOutcome(item.path, item.sheet.teacher, item.day, "new" if new else "same", new, item.problems)
