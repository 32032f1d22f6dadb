"""Message drafts: scenes, templates and their safe filling, the choice of a variant, the drafts of a
cohort in its renewal month, and touches coming back through `pfk record`."""

from __future__ import annotations

import datetime as dt
import re

import openpyxl
import pytest

from pfkcli import history
from pfkcli.classify import classify
from pfkcli.config import Config
from pfkcli.messages import draft_messages, make_messages
from pfkcli.outputs import MESSAGE_COLUMNS, MESSAGES_SHEET
from pfkcli.playbooks import load_playbooks
from pfkcli.record import record_files
from pfkcli.scenes import SCENES
from pfkcli.templates import (
    MAX_MESSAGE_CHARS,
    PLACEHOLDERS,
    choose,
    compile_template,
    render,
)
from pfkcli.workspace import Workspace, init_workspace

from .conftest import write_xlsx

AS_OF = dt.date(2026, 11, 23)
COHORT_HEADER = [
    "学号", "姓名", "运营老师", "课程", "作业完成次数", "观看课时", "最近学习时间", "报名日期",
    "课程开始日期", "课程结束日期", "满意度", "P", "K", "最近回访日期", "是否续费",
]
MONTH = ("2026-10-08", "2026-12-17")  # the cohort's course: 24 days left on AS_OF, its renewal month
LATER = ("2026-10-01", "2027-01-20")  # a later cohort, far from its end
# One student per situation; the comment says which scene (and persona) each is built for.
COHORT = [
    ["S01", "张伟", "张老师", "数据运营官", 9, 60, "2026-11-22", "2026-09-20", *MONTH, 4, 5, 5, "2026-11-16", "否"],  # 续费30天 · 进阶
    ["S02", "王芳", "张老师", "数据运营官", 3, 20, "2026-11-10", "2026-09-20", *MONTH, 4, 4, 2, "2026-11-18", "否"],  # 连续未学习关怀
    ["S03", "李娜", "张老师", "数据运营官", 6, 40, "2026-11-22", "2026-08-25", "2026-09-01", "2026-11-28", 4, 4, 4, "2026-11-01", None],  # 续费7天
    ["S04", "刘洋", "张老师", "数据运营官", 10, 70, "2026-11-22", "2026-08-25", "2026-09-01", "2026-11-25", 4, 2, 4, "2026-11-01", None],  # 续费3天 · 优惠
    ["S05", "陈静", "李老师", "数据运营官", 0, 0, None, "2026-11-23", "2026-11-20", "2027-01-20", None, None, None, None, None],  # 首次联系
    ["S06", "杨帆", "李老师", "数据运营官", 9, 60, "2026-11-20", "2026-09-20", *LATER, 2, 4, 4, "2026-11-15", None],  # 满意度低
    ["S07", "赵磊", "李老师", "数据运营官", 1, 5, "2026-11-21", "2026-09-20", *LATER, 4, 4, 4, "2026-11-15", None],  # 进度督促
    ["S08", "黄敏", "李老师", "数据运营官", 11, 76, "2026-11-19", "2026-08-25", "2026-09-01", "2026-11-21", 4, 4, 4, "2026-11-15", "是"],  # 结课祝贺
    ["S09", "周杰", "李老师", "数据运营官", 11, 72, "2026-11-22", "2026-09-20", *MONTH, 5, 4, 2, "2026-11-10", "否"],  # 续费30天 · 新课
    ["S10", "吴倩", "李老师", "数据运营官", None, 30, "2026-11-22", "2026-09-20", *MONTH, 4, 4, 4, "2026-11-10", "否"],  # 续费30天, homework unknown
    ["S11", "郑强", "张老师", "数据运营官", 11, 76, "2026-11-22", "2026-09-20", *MONTH, 5, 5, 5, "2026-11-16", "是"],  # renewed, active: nothing
]


def write_cohort(folder, rows=COHORT, header=COHORT_HEADER):
    return write_xlsx(folder / "roster.xlsx", [header, *rows])


def workspace_in(folder) -> Workspace:
    init_workspace(folder)
    return Workspace(folder, Config())


@pytest.fixture
def cohort(tmp_path) -> Workspace:
    """A workspace whose newest snapshot (AS_OF) is the cohort."""
    workspace = workspace_in(tmp_path)
    classify(workspace, write_cohort(tmp_path), AS_OF)
    return workspace


def drafts_of(workspace: Workspace, as_of: dt.date = AS_OF, **options):
    """The drafts as pfk makes them for the sheets, by student: {student_id: row}."""
    from pfkcli.alert_rules import AlertContext

    with history.opened(workspace.history_path) as conn:
        frame = history.load_snapshot(conn, max(d for d in history.snapshot_dates(conn) if d <= as_of))
        ctx = AlertContext(frame, workspace.config, as_of, history.newest_callbacks(conn, frame, as_of), history.ratings_before(conn, as_of))
        drafts = draft_messages(ctx, load_playbooks(workspace.playbooks_dir), history.newest_touches(conn, as_of), **options)
    return drafts, {row["student_id"]: row for row in drafts.rows.to_dict("records")}


def filled(segment: str, key: str, facts: dict) -> set[str]:
    """Every text the default playbook of `segment` gives under `key` with these facts."""
    texts = load_playbooks(None)[segment].messages[key]
    return {render(compile_template(text), facts) for text in texts} - {None}


# --- scenes and placeholders, declared once ---------------------------------------------------------


# --- templates: safe substitution -------------------------------------------------------------------


# --- the default texts --------------------------------------------------------------------------------

LONG_FACTS = {
    "姓名": "欧阳娜娜", "老师": "司马老师", "课程": "数据运营官高级实战班第十二期", "已交作业": "100", "作业总数": "100",
    "剩余作业": "100", "已学课时": "100.5", "总课时": "100.5", "进度": "100%", "应达进度": "100%", "未学习天数": "100",
    "最近学习": "12月31日", "距结课天数": "100", "结课日期": "12月31日", "上次回访": "12月31日", "满意度": "2.5",
    "通话日": "12月31日", "下次跟进": "12月31日",
}


def test_every_default_text_is_a_short_chat_message_even_with_long_facts():
    assert set(LONG_FACTS) == {p.name for p in PLACEHOLDERS}
    for code, book in load_playbooks(None).items():
        for key, texts in book.messages.items():
            for text in texts:
                message = render(compile_template(text), LONG_FACTS)
                assert len(message) <= MAX_MESSAGE_CHARS, (code, key, message)


def test_every_default_playbook_drafts_every_scene_in_two_ways_and_with_its_facts_missing():
    """Each segment can meet each scene (thresholds are the team's): two texts for a student whose
    facts are all known, so neighbours differ, and one for a student with only the scene's own facts."""
    least = {
        "首次联系": {"姓名", "老师"}, "满意度低": {"姓名", "满意度"}, "续费30天": {"姓名", "距结课天数"},
        "续费7天": {"姓名", "距结课天数"}, "续费3天": {"姓名", "结课日期"}, "连续未学习关怀": {"姓名", "未学习天数"},
        "进度督促": {"姓名", "应达进度"}, "结课祝贺": {"姓名", "结课日期"}, "通话跟进": {"姓名", "通话日"}, "转下期": {"姓名"},
    }
    for code, book in load_playbooks(None).items():
        for scene in SCENES:
            variants = [compile_template(t) for t in book.messages[scene.name]]
            picks = {choose(variants, LONG_FACTS, f"S{n}|{scene.name}").text for n in range(60)}
            assert len(picks) >= 2, (code, scene.name)
            sparse = {name: (value if name in least[scene.name] else None) for name, value in LONG_FACTS.items()}
            assert choose(variants, sparse, f"S1|{scene.name}") is not None, (code, scene.name)


# --- a cohort in its renewal month -------------------------------------------------------------------


def test_the_cohorts_drafts_are_whole_short_and_built_on_each_students_facts(cohort):
    drafts, by_id = drafts_of(cohort)
    messages = drafts.rows["message"].tolist()
    assert all(not re.search(r"[{}]|nan|None", m) for m in messages), messages
    assert all(len(m) <= MAX_MESSAGE_CHARS for m in messages)
    assert {sid: row["scene"] for sid, row in by_id.items()} == {
        "S01": "续费30天", "S02": "连续未学习关怀", "S03": "续费7天", "S04": "续费3天", "S05": "首次联系",
        "S06": "满意度低", "S07": "进度督促", "S08": "结课祝贺", "S09": "续费30天", "S10": "续费30天",
    }
    assert drafts.skipped == [] and drafts.held_back == {}

    # 续费7天: 5 days to 2026-11-28, 6 of 11 homework handed in.
    s03 = by_id["S03"]
    assert s03["why"] == "续费提醒（结课前一周）：距课程结束还有 5 天（2026-11-28 结课）"
    assert s03["message"] in filled(s03["segment"], "续费7天", {"姓名": "李娜", "距结课天数": "5", "已交作业": "6", "作业总数": "11"})
    assert "5天" in s03["message"] and "6次" in s03["message"]
    # 续费30天 for a strong student: the advanced course, 24 days and 9 of 11.
    s01 = by_id["S01"]
    assert s01["segment"] == "P_L-F_L-K_L"
    assert s01["why"] == "续费沟通（结课前一个月）：距课程结束还有 24 天（2026-12-17 结课）；按人群选的话术：进阶课"
    assert s01["message"] in filled("P_L-F_L-K_L", "续费·进阶", {"姓名": "张伟", "距结课天数": "24", "已交作业": "9", "作业总数": "11"})
    # About to finish everything (F = 11/11 + 72/76 ≥ 1.8): the next course.
    assert by_id["S09"]["why"].endswith("；按人群选的话术：下一门课")
    assert by_id["S09"]["message"] in filled(by_id["S09"]["segment"], "续费·新课", {"姓名": "周杰", "距结课天数": "24", "已交作业": "11", "作业总数": "11"})
    # P = 2 reads as hesitant: the offer, in the last three days.
    assert by_id["S04"]["message"] in filled(by_id["S04"]["segment"], "续费·优惠", {"姓名": "刘洋", "距结课天数": "2", "已交作业": "10", "作业总数": "11"})
    # Homework unknown (blank cell) and a fifth of the course done: behind, so no praise and no pitch —
    # help to catch up — in the text that needs neither homework count, never a blank or `nan`.
    assert by_id["S10"]["why"].endswith("；按人群选的话术：先补上这期")
    (fallback,) = filled(by_id["S10"]["segment"], "续费·落后", {"姓名": "吴倩", "距结课天数": "24"})
    assert by_id["S10"]["message"] == fallback
    assert fallback.startswith("吴倩您好，这期课程快结束了")
    # The other scenes, each on its own facts.
    assert "已经13天" in by_id["S02"]["message"] or "13天没有学习记录" in by_id["S02"]["message"]
    assert "11月10日" in by_id["S02"]["message"]
    assert by_id["S05"]["message"] in filled("待回访", "首次联系", {"姓名": "陈静", "老师": "李老师", "课程": "数据运营官"})
    assert "2星" in by_id["S06"]["message"] and "11月15日" in by_id["S06"]["message"]
    assert by_id["S07"]["why"] == "进度严重落后：F=0.16，按进度到今天应达 0.93，不到其 50%（0.47）"
    assert by_id["S07"]["message"] in filled(
        by_id["S07"]["segment"], "进度督促", {"姓名": "赵磊", "进度": "8%", "应达进度": "47%", "已交作业": "1", "作业总数": "11"}
    )
    assert by_id["S08"]["why"] == "课程已于 2026-11-21 结束（2 天前）"
    assert by_id["S08"]["message"] in filled(
        by_id["S08"]["segment"], "结课祝贺", {"姓名": "黄敏", "结课日期": "11月21日", "已交作业": "11", "已学课时": "76"}
    )


def test_drafts_follow_the_plans_order_teacher_by_teacher(cohort):
    from pfkcli.alert_rules import AlertContext
    from pfkcli.plan import build_plan

    drafts, _ = drafts_of(cohort)
    with history.opened(cohort.history_path) as conn:
        frame = history.load_snapshot(conn, AS_OF)
        ctx = AlertContext(frame, cohort.config, AS_OF, history.newest_callbacks(conn, frame, AS_OF), history.ratings_before(conn, AS_OF))
    plan = build_plan(ctx, 100).rows["student_id"].tolist()
    for teacher in ("李老师", "张老师"):
        mine = drafts.rows[drafts.rows["teacher"] == teacher]["student_id"].tolist()
        due = [sid for sid in plan if sid in mine]
        assert mine[: len(due)] == due
    assert drafts.rows["teacher"].tolist() == sorted(drafts.rows["teacher"].tolist())


def test_neighbours_on_a_sheet_do_not_get_the_same_text(tmp_path):
    # Ten: a teacher's renewal drafts of a day ([messages] renewal_per_day).
    rows = [["S%02d" % n, f"学员{n}", "张老师", "数据运营官", 6, 40, "2026-11-22", "2026-09-20", *MONTH, 4, 4, 4, "2026-11-01", None] for n in range(1, 11)]
    workspace = workspace_in(tmp_path)
    classify(workspace, write_cohort(tmp_path, rows), AS_OF)
    drafts, _ = drafts_of(workspace)
    texts = drafts.rows["message"].str.replace(r"学员\d+", "", regex=True).tolist()
    assert len(texts) == 10
    assert all(a != b for a, b in zip(texts, texts[1:]))


def test_a_hesitant_note_in_the_newest_callback_gets_the_offer(tmp_path):
    rows = [["S01", "张伟", "张老师", "数据运营官", 9, 60, "2026-11-22", "2026-09-20", *MONTH, 4, None, None, None, None]]
    workspace = workspace_in(tmp_path)
    with history.opened(workspace.history_path) as conn:
        call = {"teacher": "张老师", "student_id": "S01", "called_on": dt.date(2026, 11, 10), "p": 5.0, "k": 5.0,
                "note": "说续费有点贵，要再考虑一下", "follow_up": None}
        history.import_callbacks(conn, "sheet-1", "hash-1", "张老师-2026-11-10.xlsx", [call])
    classify(workspace, write_cohort(tmp_path, rows), AS_OF)
    _, by_id = drafts_of(workspace)
    assert by_id["S01"]["why"].endswith("；按人群选的话术：续报优惠")
    assert by_id["S01"]["message"] in filled("P_L-F_L-K_L", "续费·优惠", {"姓名": "张伟", "距结课天数": "24", "已交作业": "9", "作业总数": "11"})


def test_on_the_last_day_the_text_names_the_date_not_zero_days(tmp_path):
    # Hesitant (P = 2), but the offer's texts count the days left: the stage's own text, with the date.
    rows = [["S01", "刘洋", "张老师", "数据运营官", 10, 70, "2026-11-22", "2026-08-25", "2026-09-01", "2026-11-23", 4, 2, 4, "2026-11-01", None]]
    workspace = workspace_in(tmp_path)
    classify(workspace, write_cohort(tmp_path, rows), AS_OF)
    _, by_id = drafts_of(workspace)
    assert by_id["S01"]["why"] == "续费最后提醒（结课前三天）：今天课程结束（2026-11-23）"
    segment = by_id["S01"]["segment"]
    assert by_id["S01"]["message"] in filled(segment, "续费3天", {"姓名": "刘洋", "结课日期": "11月23日", "已交作业": "10", "作业总数": "11"})
    assert "0天" not in by_id["S01"]["message"]


def test_a_scene_asked_for_drafts_it_alone_even_where_another_comes_first(cohort):
    drafts, by_id = drafts_of(cohort, scene="进度督促")
    # S02 (inactive) and S10 (in the renewal month) are behind too: their other scene comes first unless asked.
    assert sorted(by_id) == ["S02", "S07", "S10"]
    # S10's homework is not known: the text without it.
    assert {by_id["S10"]["message"]} == filled(by_id["S10"]["segment"], "进度督促", {"姓名": "吴倩", "应达进度": "65%"})


def test_no_text_that_fits_means_no_draft_and_says_why(cohort):
    path = cohort.playbooks_dir / "待回访.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  首次联系:\n")
    end = text.index("  满意度低:\n")
    path.write_text(text[:start] + '  首次联系:\n    - "{姓名}您好，我是{课程}的{老师}。"\n' + text[end:], encoding="utf-8")
    roster = [row[:3] + [None] + row[4:] if row[0] == "S05" else row for row in COHORT]  # 陈静's course left blank
    classify(cohort, write_cohort(cohort.root, roster), AS_OF)
    drafts, by_id = drafts_of(cohort)
    assert "S05" not in by_id
    assert [(s.scene, s.reason, s.students) for s in drafts.skipped] == [("首次联系", "缺少 {课程}：每条模板都要用到其中一项", 1)]


# --- the window after a touch ------------------------------------------------------------------------


def touch(workspace, student: str, scene: str, on: dt.date, sheet: str = "m1") -> None:
    with history.opened(workspace.history_path) as conn:
        history.store_touches(conn, sheet, "张老师.xlsx", [
            {"teacher": "张老师", "student_id": student, "scene": scene, "touched_on": on, "message": "你好"},
        ])


@pytest.mark.parametrize(("sent", "held"), [(AS_OF - dt.timedelta(days=6), True), (AS_OF - dt.timedelta(days=7), False)])
def test_care_is_not_offered_again_within_seven_days(cohort, sent, held):
    touch(cohort, "S02", "连续未学习关怀", sent)
    drafts, by_id = drafts_of(cohort)
    # Held back, S02 gets the next scene that applies to her: she is behind as well.
    assert by_id["S02"]["scene"] == ("进度督促" if held else "连续未学习关怀")
    assert drafts.held_back == ({"连续未学习关怀": 1} if held else {})


def test_a_renewal_stage_is_messaged_once_from_its_first_day(cohort):
    # S03's course ends 2026-11-28: the week-before stage began 11-21.
    touch(cohort, "S03", "续费7天", dt.date(2026, 11, 20))
    _, by_id = drafts_of(cohort)
    assert by_id["S03"]["scene"] == "续费7天"
    touch(cohort, "S03", "续费7天", dt.date(2026, 11, 21), sheet="m2")
    drafts, by_id = drafts_of(cohort)
    assert "S03" not in by_id and drafts.held_back == {"续费7天": 1}


# --- the sheet, and what comes back ------------------------------------------------------------------


def mark_sent(path, marks: dict[str, str]) -> None:
    book = openpyxl.load_workbook(path)
    sheet = book[MESSAGES_SHEET]
    for row in range(2, sheet.max_row + 1):
        student = sheet.cell(row, 1).value
        if student in marks:
            sheet.cell(row, MESSAGE_COLUMNS.index("已发送") + 1).value = marks[student]
    book.save(path)


def test_a_marked_sheet_recorded_twice_stores_each_touch_once(cohort):
    result = make_messages(cohort, AS_OF, teacher="张老师")
    (sheet,) = result.sheets
    assert sheet.path == cohort.root / "messages" / "张老师-2026-11-23.xlsx"
    assert sheet.scenes == {"续费3天": 1, "续费7天": 1, "续费30天": 1, "连续未学习关怀": 1}
    mark_sent(sheet.path, {"S03": "是", "S02": "是", "S01": "否"})

    first = record_files(cohort, [sheet.path], today=AS_OF)
    again = record_files(cohort, [sheet.path], today=AS_OF)
    assert [(o.status, o.touches) for o in first] == [("new", 2)]
    assert [(o.status, o.touches) for o in again] == [("same", 0)]
    with history.opened(cohort.history_path) as conn:
        callbacks, _, touches = history.student_history(conn, "S03")
        assert conn.execute("SELECT count(*) FROM touches").fetchone()[0] == 2
        assert conn.execute("SELECT count(*) FROM callbacks").fetchone()[0] == 0  # touches are not callbacks
    assert callbacks == []
    ((day, teacher, scene, text, source),) = touches
    assert (day, teacher, scene, source) == ("2026-11-23", "张老师", "续费7天", "张老师-2026-11-23.xlsx")
    assert text.startswith("李娜您好")


def test_a_messages_sheet_with_a_bad_mark_records_nothing(cohort):
    from pfkcli.errors import InvalidInput

    (sheet,) = make_messages(cohort, AS_OF, teacher="张老师").sheets
    mark_sent(sheet.path, {"S03": "是", "S02": "发了"})
    row = [r[0] for r in openpyxl.load_workbook(sheet.path)[MESSAGES_SHEET].iter_rows(values_only=True)].index("S02") + 1
    with pytest.raises(InvalidInput) as caught:
        record_files(cohort, [sheet.path], today=AS_OF)
    assert [p.line() for p in caught.value.problems] == [f'张老师-2026-11-23.xlsx › 消息 › 第{row}行 › 已发送: "发了" 请选「是」或「否」']
    with history.opened(cohort.history_path) as conn:
        assert conn.execute("SELECT count(*) FROM touches").fetchone()[0] == 0


# --- true to the facts -------------------------------------------------------------------------------

PRAISE = ("不容易", "难得", "坚持", "很好", "恭喜", "学下来了", "学完了")


def test_a_student_who_never_started_is_offered_the_next_cohort_not_a_renewal(tmp_path):
    """Seed 001: in the renewal month, a student with no homework and no hours gets 转下期 — even asked
    for a renewal stage by name, no renewal pitch; three days after the end, no congratulations."""
    never = ["S20", "孙丽", "张老师", "数据运营官", 0, 0, None, "2026-09-20", *MONTH, None, 4, 4, "2026-11-01", "否"]
    workspace = workspace_in(tmp_path)
    classify(workspace, write_cohort(tmp_path, [never]), AS_OF)
    drafts, by_id = drafts_of(workspace)
    assert by_id["S20"]["scene"] == "转下期"
    assert by_id["S20"]["why"] == "一直没开始学，课程 2026-12-17 结课：建议转到下一期从头学，不谈续费"
    assert "下一期" in by_id["S20"]["message"] and "续报" not in by_id["S20"]["message"]
    assert "S20" not in drafts_of(workspace, scene="续费30天")[1]
    ended = [never[:8] + ["2026-09-01", "2026-11-21"] + never[10:]]
    classify(workspace, write_cohort(tmp_path, ended), AS_OF)
    _, by_id = drafts_of(workspace)
    assert by_id["S20"]["scene"] == "转下期"
    assert "S20" not in drafts_of(workspace, scene="结课祝贺")[1]


def test_a_student_far_behind_is_not_praised(tmp_path):
    """0 of 11 homework and 8 hours of 76 in the renewal month, and at the course's end: the texts
    for a student behind (help to finish this one), never praise for persistence — in every segment."""
    rows = [
        ["S21", "钱多", "张老师", "数据运营官", 0, 8, "2026-11-20", "2026-09-20", *MONTH, 4, p, k, "2026-11-01", "否"]
        for p, k in ((5, 5),)
    ]
    rows.append(["S22", "孙少", "张老师", "数据运营官", 0, 8, "2026-11-20", "2026-08-25", "2026-09-01", "2026-11-21", 4, 2, 2, "2026-11-01", None])
    workspace = workspace_in(tmp_path)
    classify(workspace, write_cohort(tmp_path, rows), AS_OF)
    _, by_id = drafts_of(workspace)
    assert by_id["S21"]["scene"] == "续费30天" and by_id["S21"]["why"].endswith("；按人群选的话术：先补上这期")
    assert by_id["S21"]["message"] in filled(by_id["S21"]["segment"], "续费·落后", {"姓名": "钱多", "距结课天数": "24", "剩余作业": "11", "进度": "5%"})
    assert by_id["S22"]["scene"] == "结课祝贺"
    assert by_id["S22"]["message"] in filled(by_id["S22"]["segment"], "结课祝贺·落后", {"姓名": "孙少", "结课日期": "11月21日", "剩余作业": "11", "进度": "5%"})
    for code, book in load_playbooks(None).items():
        for key in ("续费·落后", "结课祝贺·落后", "转下期"):
            for text in book.messages[key]:
                assert not any(word in text for word in PRAISE), (code, key, text)


def test_renewal_drafts_are_spread_over_the_stage_at_most_a_declared_number_a_day(tmp_path):
    """Fourteen students of one teacher in their renewal month: ten drafts today in the plan's order,
    four left for the following days ([messages] renewal_per_day); other scenes are not cut."""
    from pfkcli.alert_rules import AlertContext
    from pfkcli.plan import build_plan

    rows = [["S%02d" % n, f"学员{n}", "张老师", "数据运营官", 6, 40, "2026-11-22", "2026-09-20", *MONTH, 4, 4, 4, "2026-11-01", None] for n in range(30, 44)]
    rows.append(["S05", "陈静", "张老师", "数据运营官", 0, 0, None, "2026-11-23", "2026-11-20", "2027-01-20", None, None, None, None, None])
    workspace = workspace_in(tmp_path)
    classify(workspace, write_cohort(tmp_path, rows), AS_OF)
    drafts, by_id = drafts_of(workspace)
    renewals = drafts.rows[drafts.rows["scene"] == "续费30天"]["student_id"].tolist()
    assert len(renewals) == 10 and drafts.deferred == 4 and "S05" in by_id
    with history.opened(workspace.history_path) as conn:
        frame = history.load_snapshot(conn, AS_OF)
        ctx = AlertContext(frame, workspace.config, AS_OF, history.newest_callbacks(conn, frame, AS_OF), history.ratings_before(conn, AS_OF))
    planned = [sid for sid in build_plan(ctx, 100).rows["student_id"].tolist() if sid.startswith("S3") or sid.startswith("S4")]
    assert renewals == planned[:10]
    # The next day, the ten sent (touches), the other four come.
    with history.opened(workspace.history_path) as conn:
        history.store_touches(conn, "m1", "张老师.xlsx", [
            {"teacher": "张老师", "student_id": sid, "scene": "续费30天", "touched_on": AS_OF, "message": "你好"} for sid in renewals
        ])
    tomorrow, _ = drafts_of(workspace, as_of=AS_OF + dt.timedelta(days=1))
    assert sorted(tomorrow.rows[tomorrow.rows["scene"] == "续费30天"]["student_id"]) == sorted(planned[10:])


def test_a_workspace_playbook_made_before_a_scene_borrows_the_built_in_texts(cohort):
    """A team's playbook written before 通话跟进 and 续费·落后 existed: the built-in texts stand in
    (a student just reached still gets the follow-up, one far behind no praise); a key kept empty on
    purpose stays empty."""
    path = cohort.playbooks_dir / "待回访.yaml"
    text = path.read_text(encoding="utf-8")
    start, end = text.index("  通话跟进:\n"), text.index("  转下期:\n")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    with history.opened(cohort.history_path) as conn:
        call = {"teacher": "李老师", "student_id": "S05", "called_on": AS_OF, "p": None, "k": None, "note": None, "follow_up": None}
        history.import_callbacks(conn, "sheet-1", "hash-1", "李老师.xlsx", [call])
    drafts, by_id = drafts_of(cohort)
    assert by_id["S05"]["scene"] == "通话跟进"
    assert by_id["S05"]["message"] in filled("待回访", "通话跟进", {"姓名": "陈静", "老师": "李老师", "通话日": "今天"})
    path.write_text(text[:start] + "  通话跟进: []\n" + text[end:], encoding="utf-8")
    drafts, by_id = drafts_of(cohort)
    assert "S05" not in by_id
    assert [(s.scene, s.students) for s in drafts.skipped] == [("通话跟进", 1)]
