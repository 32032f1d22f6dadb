"""pfk.toml: the template is the defaults, courses inherit, and a bad setting is said in Chinese."""

from __future__ import annotations

import tomllib

import pytest

from pfkcli.config import CONFIG_TEMPLATE, Config, load_config
from pfkcli.errors import ConfigError


def test_the_template_pfk_init_writes_is_the_defaults():
    assert Config.model_validate(tomllib.loads(CONFIG_TEMPLATE)) == Config()


def test_a_course_of_its_own_takes_what_it_leaves_out_from_course():
    config = Config.model_validate({"course": {"homework_total": 12, "end": "2026-12-17"}, "courses": {"进阶班": {"hours_total": 40}}})
    course = config.course_for("进阶班")
    assert (course.homework_total, course.hours_total, str(course.end)) == (12, 40, "2026-12-17")
    assert config.course_for("别的课") == config.course


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("[plan]\ncalls_per_week = 0\n", "pfk.toml: plan.calls_per_week: 应 ≥ 1"),
        ("[plan]\ncals_per_week = 30\n", "pfk.toml: plan.cals_per_week: 不认识的设置项（拼写错了？）"),
        ("[plan]\nholdout_share = 0.6\n", "pfk.toml: plan.holdout_share: 应 ≤ 0.5"),
        ('[scale]\np = ["很差"]\n', "pfk.toml: scale.p.0: 每一项应写成「短名：说明」，短名最多 6 个字"),
        ('[thresholds]\nf_rule = "快"\n', "pfk.toml: thresholds.f_rule: 只能是 pace、fixed、mean、median 之一"),
        ("[course]\nend = 12-17\n", "pfk.toml: 第 2 行第 9 列：写法不对（应是「名称 = 值」，文字加引号，每个 [段落] 只写一次）"),
        # A number setting takes a number only (issue 30): not true, and nothing infinite.
        ("[plan]\ncalls_per_week = true\n", "pfk.toml: plan.calls_per_week: 应为数字（true/false 不是数字）"),
        ("[course]\nhours_total = inf\n", "pfk.toml: course.hours_total: 应为有限的数字（不能是 inf 或 nan）"),
        ("[thresholds]\nf_cut = nan\n", "pfk.toml: thresholds.f_cut: 应为有限的数字（不能是 inf 或 nan）"),
        ('[teachers."张老师"]\ncapacity = false\n', "pfk.toml: teachers.张老师.capacity: 应为数字（true/false 不是数字）"),
    ],
)
def test_a_bad_setting_is_one_chinese_line(tmp_path, text, said):
    path = tmp_path / "pfk.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.message.splitlines()[0] == f"{tmp_path}/{said}"


@pytest.mark.parametrize(
    "text",
    ["x = " + "[" * 5000 + "]" * 5000 + "\n", "x = " + "{a = " * 5000 + "1" + "}" * 5000 + "\n"],
    ids=["arrays", "inline tables"],
)
def test_a_pfk_toml_nested_five_thousand_levels_deep_is_one_line(tmp_path, text):
    path = tmp_path / "pfk.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.message == f"{path}: 内容嵌套的层数太多（几千层的 [ 或 {{），不像 pfk 的设置文件；请检查后改回「名称 = 值」的形式"


def test_a_pfk_toml_saved_as_utf8_with_bom_is_read(tmp_path):
    # What Windows Notepad offers as "UTF-8 with BOM".
    path = tmp_path / "pfk.toml"
    path.write_bytes(b"\xef\xbb\xbf" + "[plan]\ncalls_per_week = 25\n".encode("utf-8"))
    assert load_config(path).plan.calls_per_week == 25


def test_a_pfk_toml_far_too_large_is_refused_before_it_is_parsed(tmp_path):
    path = tmp_path / "pfk.toml"
    path.write_text("# " + "x" * (2 * 1024**2) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.message.startswith(f"{path}: 文件超过 1 MB，不像 pfk 的设置文件")
