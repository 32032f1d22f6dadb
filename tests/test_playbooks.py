"""The playbook core: built-in files, loading with fallback, check findings, round-trip add."""

from __future__ import annotations

import datetime as dt
import difflib
import shutil
from pathlib import Path

import pytest

from pfkcli import playbooks
from pfkcli.errors import ConfigError, UsageError
from pfkcli.playbooks import (
    SCRIPT_SCENARIOS,
    ProblemEntry,
    add_problem,
    builtin_playbook_files,
    check_playbooks,
    list_playbooks,
    load_playbooks,
    playbook_path,
    solution_id,
)
from pfkcli.segments import ALL_SEGMENTS, BY_CODE, PENDING_CODE

TODAY = dt.date(2026, 11, 23)

MINIMAL = """\
code: P_S-F_S-K_L
name: 重点挽留学员
portrait: 没有热情，进度落后，能力强。
strategy: 重点挽留。让他重视课程。
questions:
  - 最近忙吗？
problems:
  - problem: 不接电话
    solution: 先发微信约时间
    author: 张老师
    date: 2026-11-02
    id: sminim
"""


@pytest.fixture
def folder(tmp_path) -> Path:
    """A workspace's playbooks/ folder."""
    (tmp_path / "pfk.toml").write_text("", encoding="utf-8")
    (tmp_path / "playbooks").mkdir()
    return tmp_path / "playbooks"


def copy_builtins(folder: Path) -> None:
    for source in builtin_playbook_files():
        shutil.copy(source, folder / source.name)


def write_playbook(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def only_added_lines(old: str, new: str) -> list[str]:
    """The lines `new` adds to `old`; fails when any line of `old` was changed or removed."""
    matcher = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(), autojunk=False)
    added = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        assert tag in ("equal", "insert"), f"{tag}: {matcher.a[i1:i2]} -> {matcher.b[j1:j2]}"
        if tag == "insert":
            added += matcher.b[j1:j2]
    return added


# --- built-ins --------------------------------------------------------------------------------------


def test_builtin_files_are_the_nine_segments_in_order_with_pending_last():
    names = [path.name for path in builtin_playbook_files()]
    assert names == [f"{segment.code}.yaml" for segment in ALL_SEGMENTS]
    assert names[-1] == "待回访.yaml"
    assert all(path.is_file() for path in builtin_playbook_files())


def test_every_builtin_playbook_passes_check():
    assert check_playbooks(None) == []


def test_builtin_playbooks_have_the_segment_name_questions_and_all_four_scripts():
    loaded = load_playbooks(None)
    assert list(loaded) == [segment.code for segment in ALL_SEGMENTS]
    for code, playbook in loaded.items():
        assert playbook.code == code
        assert playbook.name == BY_CODE[code].name
        assert 3 <= len(playbook.questions) <= 5, code
        assert tuple(playbook.scripts) == SCRIPT_SCENARIOS, code
        assert "\n" not in playbook.headline and len(playbook.headline) <= 40, playbook.headline


def test_builtin_files_start_with_a_comment_telling_how_to_add():
    for path in builtin_playbook_files():
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# ")
        assert f"pfk playbook add {path.stem}" in text


def test_headline_is_the_first_sentence_of_the_strategy():
    playbook = load_playbooks(None)["P_S-F_S-K_L"]
    assert playbook.headline == "重点挽留：让他重视课程、重新燃起学习热情，顺利结课。"
    short = playbook.model_copy(update={"strategy": "重点挽留。让他重视课程。\n第二行"})
    assert short.headline == "重点挽留。"


# --- paths and loading ------------------------------------------------------------------------------


def test_playbook_path_names_files_by_code_and_pending_by_its_chinese_code(folder):
    assert playbook_path(folder, "P_S-F_S-K_L") == folder / "P_S-F_S-K_L.yaml"
    assert playbook_path(folder, PENDING_CODE) == folder / "待回访.yaml"


def test_playbook_path_without_workspace_says_to_run_init():
    with pytest.raises(UsageError) as caught:
        playbook_path(None, "P_S-F_S-K_L")
    assert "pfk init" in caught.value.message


def test_workspace_file_wins_and_missing_ones_fall_back_to_builtin(folder):
    write_playbook(folder, "P_S-F_S-K_L.yaml", MINIMAL)
    loaded = load_playbooks(folder)
    assert loaded["P_S-F_S-K_L"].portrait == "没有热情，进度落后，能力强。"
    assert loaded["P_S-F_S-K_L"].problems[0].date == dt.date(2026, 11, 2)
    assert loaded["P_L-F_L-K_L"] == load_playbooks(None)["P_L-F_L-K_L"]


def test_broken_workspace_file_raises_config_error_naming_file_and_problem(folder):
    write_playbook(folder, "P_S-F_S-K_L.yaml", MINIMAL.replace("先发微信约时间", '""'))
    with pytest.raises(ConfigError) as caught:
        load_playbooks(folder)
    assert caught.value.message.splitlines()[0] == (
        "playbooks/P_S-F_S-K_L.yaml: problems[0].solution: 不能为空（第 9 行）"
    )


def test_list_counts_problems_and_takes_the_newest_date(folder):
    write_playbook(folder, "P_S-F_S-K_L.yaml", MINIMAL)
    without_problems = MINIMAL.split("problems:")[0].replace("P_S-F_S-K_L", "P_L-F_L-K_L")
    no_problems = write_playbook(folder, "P_L-F_L-K_L.yaml", without_problems.replace("重点挽留学员", "重要价值学员"))
    rows = {row.code: row for row in list_playbooks(folder)}
    assert list(rows) == [segment.code for segment in ALL_SEGMENTS]
    assert (rows["P_S-F_S-K_L"].problem_count, rows["P_S-F_S-K_L"].last_change) == (1, dt.date(2026, 11, 2))
    assert rows["P_S-F_S-K_L"].builtin is False
    mtime_date = dt.date.fromtimestamp(no_problems.stat().st_mtime)
    assert (rows["P_L-F_L-K_L"].problem_count, rows["P_L-F_L-K_L"].last_change) == (0, mtime_date)
    assert rows["P_S-F_S-K_S"].builtin is True


# --- check ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            MINIMAL.replace("    solution: 先发微信约时间\n", "    solution:\n"),
            ["playbooks/P_S-F_S-K_L.yaml: problems[0].solution: 不能为空（第 9 行）"],
        ),
        (
            MINIMAL.replace("    author: 张老师\n", ""),
            ["playbooks/P_S-F_S-K_L.yaml: problems[0].author: 缺少此项（第 8 行）"],
        ),
        (
            MINIMAL.replace("2026-11-02", "下周一"),
            ["playbooks/P_S-F_S-K_L.yaml: problems[0].date: 「下周一」不是日期，请写成 2026-11-23（第 11 行）"],
        ),
        (
            MINIMAL.replace("questions:\n  - 最近忙吗？\n", "questions: []\n"),
            ["playbooks/P_S-F_S-K_L.yaml: questions: 至少要有 1 条（第 5 行）"],
        ),
        (
            MINIMAL.replace("    author:", "    athor:"),
            [
                "playbooks/P_S-F_S-K_L.yaml: problems[0].author: 缺少此项（第 8 行）",
                "playbooks/P_S-F_S-K_L.yaml: problems[0].athor: 不认识的字段（拼写错了？）（第 10 行）",
            ],
        ),
        (
            MINIMAL.replace("code: P_S-F_S-K_L", "code: P_L-F_L-K_L"),
            ["playbooks/P_S-F_S-K_L.yaml: code: 写的是 P_L-F_L-K_L，与文件名不符（应为 P_S-F_S-K_L）（第 1 行）"],
        ),
        (
            MINIMAL.replace("name: 重点挽留学员", "name: 挽留学员"),
            ["playbooks/P_S-F_S-K_L.yaml: name: 应为「重点挽留学员」（第 2 行）"],
        ),
        (
            MINIMAL.replace("questions:\n", "questions\n"),
            ["playbooks/P_S-F_S-K_L.yaml: 第 5 行: YAML 格式错误：缺少冒号：「questions」应写成「字段: 内容」（冒号后有空格）"],
        ),
        (
            MINIMAL.replace("portrait:", "name: 挽留\nportrait:"),
            ["playbooks/P_S-F_S-K_L.yaml: 第 3 行: YAML 格式错误：字段「name」写了两次，请删掉或合并其中一处"],
        ),
        ("", ["playbooks/P_S-F_S-K_L.yaml: 文件是空的"]),
    ],
    ids=["empty-solution", "missing", "bad-date", "no-questions", "typo", "code", "name", "syntax", "dup", "empty"],
)
def test_check_points_inside_the_file(folder, text, expected):
    copy_builtins(folder)
    write_playbook(folder, "P_S-F_S-K_L.yaml", text)
    assert check_playbooks(folder) == expected


def test_check_reports_files_pfk_never_reads(folder):
    copy_builtins(folder)
    write_playbook(folder, "p_s-f_s-k_l.yml", MINIMAL)
    write_playbook(folder, "notes.yaml", "a: 1\n")
    (folder / "README.md").write_text("说明", encoding="utf-8")
    assert check_playbooks(folder) == [
        "playbooks/notes.yaml: pfk 不会读取这个文件：文件名应为分层代码，如 P_L-F_L-K_L.yaml",
        "playbooks/p_s-f_s-k_l.yml: pfk 不会读取这个文件：应命名为 P_S-F_S-K_L.yaml",
    ]


def test_check_passes_on_an_init_copy(tmp_path):
    from pfkcli.workspace import init_workspace

    init_workspace(tmp_path)
    assert check_playbooks(tmp_path / "playbooks") == []


def test_check_names_missing_files_and_how_to_restore_them(tmp_path):
    """Every other command falls back to the built-in file without a word: check is where it shows."""
    from pfkcli.workspace import init_workspace

    (tmp_path / "pfk.toml").write_text("", encoding="utf-8")
    restore = "运行 pfk init 可补回缺少的话术文件（已有的文件不会被覆盖）"
    assert check_playbooks(tmp_path / "playbooks") == [f"playbooks/: 话术文件夹不见了，各分层都在用内置话术。{restore}"]
    init_workspace(tmp_path)
    (tmp_path / "playbooks" / "待回访.yaml").unlink()
    assert check_playbooks(tmp_path / "playbooks") == [f"playbooks/待回访.yaml: 文件不见了，这个分层在用内置话术。{restore}"]


# --- add --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", builtin_playbook_files(), ids=lambda path: path.stem)
def test_add_to_every_builtin_only_adds_the_entry(folder, source):
    old = source.read_text(encoding="utf-8")
    write_playbook(folder, source.name, old)
    path = add_problem(folder, source.stem, "家长接的电话", "约学员本人的时间再打", "王老师", TODAY)
    assert path == folder / source.name
    new_id = solution_id(source.stem, ProblemEntry(problem="家长接的电话", solution="约学员本人的时间再打", author="王老师", date=TODAY))
    assert only_added_lines(old, path.read_text(encoding="utf-8")) == [
        "  - problem: 家长接的电话",
        "    solution: 约学员本人的时间再打",
        "    author: 王老师",
        "    date: 2026-11-23",
        f"    id: {new_id}",
    ]
    entry = load_playbooks(folder)[source.stem].problems[-1]
    assert (entry.problem, entry.solution, entry.author, entry.date) == (
        "家长接的电话", "约学员本人的时间再打", "王老师", TODAY,
    )


HAND_WRITTEN = """\
# 张老师：本组一起维护，改之前先在群里说一声
code: P_S-F_S-K_L   # 别改
name: "重点挽留学员"
portrait: |
    第一行
    第二行
strategy: >
    折叠写的
    策略
questions: ["问一", 问二]
problems:
    -   problem: "x: y"
        solution: 'b'  # 李老师补充
        author: pfk
        date: 2026-11-01

    # 下面是话术
scripts:
    首次联系: '你好'
# 文件结束
"""


def test_add_keeps_a_hand_written_file_line_for_line(folder):
    path = write_playbook(folder, "P_S-F_S-K_L.yaml", HAND_WRITTEN)
    add_problem(folder, "P_S-F_S-K_L", "问题: 带冒号", "第一步\n第二步", "赵老师", TODAY)
    new = path.read_text(encoding="utf-8")
    assert only_added_lines(HAND_WRITTEN, new) == [
        "    -   problem: '问题: 带冒号'",
        "        solution: |",
        "            第一步",
        "            第二步",
        "        author: 赵老师",
        "        date: 2026-11-23",
        f"        id: {load_playbooks(folder)['P_S-F_S-K_L'].problems[-1].id}",
    ]
    # The blank line and the comment that followed the old last entry now follow the new one.
    new_id = load_playbooks(folder)["P_S-F_S-K_L"].problems[-1].id
    assert f"        date: 2026-11-23\n        id: {new_id}\n\n    # 下面是话术\n" in new
    assert load_playbooks(folder)["P_S-F_S-K_L"].problems[-1].solution == "第一步\n第二步"


def test_add_keeps_windows_line_ends_and_bom(folder):
    path = folder / "P_S-F_S-K_L.yaml"
    old = b"\xef\xbb\xbf" + MINIMAL.replace("\n", "\r\n").encode("utf-8")
    path.write_bytes(old)
    add_problem(folder, "P_S-F_S-K_L", "问题", "办法", "王老师", TODAY)
    new_id = load_playbooks(folder)["P_S-F_S-K_L"].problems[-1].id
    entry = f"  - problem: 问题\r\n    solution: 办法\r\n    author: 王老师\r\n    date: 2026-11-23\r\n    id: {new_id}\r\n"
    assert path.read_bytes() == old + entry.encode("utf-8")


def test_add_under_an_empty_problems_key(folder):
    old = MINIMAL.split("problems:")[0] + "problems:\n# 以后往这里加\n"
    path = write_playbook(folder, "P_S-F_S-K_L.yaml", old)
    add_problem(folder, "P_S-F_S-K_L", "问题", "办法", "王老师", TODAY)
    assert only_added_lines(old, path.read_text(encoding="utf-8")) == [
        "  - problem: 问题", "    solution: 办法", "    author: 王老师", "    date: 2026-11-23",
        f"    id: {load_playbooks(folder)['P_S-F_S-K_L'].problems[-1].id}",
    ]


def test_add_copies_the_builtin_when_the_workspace_has_no_file(folder):
    path = add_problem(folder, PENDING_CODE, "问题", "办法", "王老师", TODAY)
    assert path == folder / "待回访.yaml"
    builtin = (playbooks.BUILTIN_DIR / "待回访.yaml").read_text(encoding="utf-8")
    assert path.read_text(encoding="utf-8").startswith(builtin)
    assert len(load_playbooks(folder)[PENDING_CODE].problems) == 2


def test_add_without_workspace_says_to_run_init():
    with pytest.raises(UsageError) as caught:
        add_problem(None, "P_S-F_S-K_L", "问题", "办法", "王老师", TODAY)
    assert caught.value.message == "当前目录不在 pfk 工作区内（找不到 pfk.toml）：先运行 pfk init 创建工作区，再修改话术。"


def test_add_refuses_blank_text(folder):
    with pytest.raises(UsageError) as caught:
        add_problem(folder, "P_S-F_S-K_L", "问题", "  ", "", TODAY)
    assert caught.value.message == "解决办法、作者不能为空"
    assert not (folder / "P_S-F_S-K_L.yaml").exists()


def test_add_leaves_a_broken_file_alone(folder):
    broken = MINIMAL.replace("questions:\n", "questions\n")
    path = write_playbook(folder, "P_S-F_S-K_L.yaml", broken)
    with pytest.raises(ConfigError) as caught:
        add_problem(folder, "P_S-F_S-K_L", "问题", "办法", "王老师", TODAY)
    assert caught.value.message.splitlines()[0].startswith("playbooks/P_S-F_S-K_L.yaml: 第 5 行: YAML 格式错误")
    assert path.read_text(encoding="utf-8") == broken
    assert [p.name for p in folder.iterdir()] == ["P_S-F_S-K_L.yaml"]


def test_a_playbook_with_aliases_is_refused_without_expanding_them(folder):
    """Nine levels of nine copies each: a 3 KB file standing for 9⁹ strings."""
    import time

    lines = ['a0: &a0 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    text = MINIMAL.replace("date: 2026-11-02", "date: *a9") + "\n".join(lines) + "\n"
    write_playbook(folder, "P_S-F_S-K_L.yaml", text)
    started = time.monotonic()
    problems = check_playbooks(folder)
    assert time.monotonic() - started < 5
    assert [p for p in problems if "P_S-F_S-K_L" in p] == [
        "playbooks/P_S-F_S-K_L.yaml: 第 11 行: 不能用 YAML 的引用（*名字）重复别处的内容，请把内容直接写出来"
    ]


# --- message templates --------------------------------------------------------------------------------

WITH_MESSAGES = MINIMAL.replace(
    "problems:\n",
    """messages:
  首次联系:
    - "{姓名}您好，我是{老师}。"
  续费7天·优惠: "{姓名}您好，还有{距结课天数}天结课。"
problems:
""",
)


def test_messages_are_scenes_to_variants_and_a_single_text_is_one_variant(folder):
    copy_builtins(folder)
    write_playbook(folder, "P_S-F_S-K_L.yaml", WITH_MESSAGES)
    assert check_playbooks(folder) == []
    assert load_playbooks(folder)["P_S-F_S-K_L"].messages == {
        "首次联系": ["{姓名}您好，我是{老师}。"],
        "续费7天·优惠": ["{姓名}您好，还有{距结课天数}天结课。"],
    }


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "{姓名}您好，我是{老师}。", "{姓命}您好，我是{老师}。",
            "playbooks/P_S-F_S-K_L.yaml: messages.首次联系[0]: 不认识的占位符「{姓命}」，是不是「{姓名}」？可用的有：",
        ),
        (
            "{姓名}您好，我是{老师}。", "{姓名.__class__}您好",
            "playbooks/P_S-F_S-K_L.yaml: messages.首次联系[0]: 不认识的占位符「{姓名.__class__}」",
        ),
        (
            "{姓名}您好，我是{老师}。", "您好" * 101,
            "playbooks/P_S-F_S-K_L.yaml: messages.首次联系[0]: 太长了（202 字）：一条微信消息最多 200 字（第 9 行）",
        ),
        (
            "  首次联系:\n", "  首次见面:\n",
            "playbooks/P_S-F_S-K_L.yaml: messages.首次见面: 不认识的场景「首次见面」；可用：通话跟进、首次联系、满意度低、转下期、续费3天、续费7天、续费30天、"
            "连续未学习关怀、进度督促、结课祝贺，续费阶段还可分人群加 ·落后 / ·优惠 / ·新课 / ·进阶（如 续费7天·优惠、续费·进阶）（第 8 行）",
        ),
    ],
    ids=["unknown-placeholder", "attribute", "too-long", "unknown-scene"],
)
def test_check_names_a_bad_template_with_its_file_and_line(folder, old, new, expected):
    copy_builtins(folder)
    write_playbook(folder, "P_S-F_S-K_L.yaml", WITH_MESSAGES.replace(old, new))
    (problem,) = check_playbooks(folder)
    assert problem.startswith(expected)
    assert problem.endswith("（第 9 行）" if "[0]" in expected else "（第 8 行）")


def test_every_builtin_playbook_has_messages_for_every_scene():
    from pfkcli.scenes import SCENES

    for code, playbook in load_playbooks(None).items():
        assert [s.name for s in SCENES if s.name not in playbook.messages] == [], code


# --- bounds on what is read (issue 30) --------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    ["problems:\n  " + "- " * 5000 + "x\n", "problems: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n", "problems: " + "[" * 5000 + "]" * 5000 + "\n"],
    ids=["block", "flow mappings", "flow sequences"],
)
def test_a_playbook_nested_five_thousand_levels_deep_is_one_problem(folder, body):
    copy_builtins(folder)
    write_playbook(folder, "P_S-F_S-K_L.yaml", "code: P_S-F_S-K_L\nname: 重点挽留学员\n" + body)
    problems = check_playbooks(folder)
    assert problems == ["playbooks/P_S-F_S-K_L.yaml: 内容嵌套的层数太多（几千层的 [ 或缩进），不像话术文件；请检查后改回「字段: 内容」的形式"]
    with pytest.raises(ConfigError) as caught:
        playbooks.load_playbooks(folder)
    assert caught.value.message.startswith("playbooks/P_S-F_S-K_L.yaml: 内容嵌套的层数太多")


def test_a_playbook_over_the_size_cap_is_refused_at_once(folder):
    import time

    copy_builtins(folder)
    # 3 MB of one pasted line: the YAML reader would take seconds over it, a 93 MB one minutes.
    write_playbook(folder, "P_S-F_S-K_L.yaml", MINIMAL + "# " + "聊" * (1024**2) + "\n")
    started = time.monotonic()
    problems = check_playbooks(folder)
    with pytest.raises(ConfigError) as caught:
        playbooks.load_playbooks(folder)
    assert time.monotonic() - started < 2
    assert problems == ["playbooks/P_S-F_S-K_L.yaml: 文件有 3 MB，超过话术文件的上限 1 MB；多半是误粘贴了大量内容，请检查后删掉"]
    assert caught.value.message.startswith(problems[0])
    with pytest.raises(ConfigError):  # nothing appended to it either
        playbooks.add_problem(folder, "P_S-F_S-K_L", "不接电话", "发微信", "王老师", TODAY)
