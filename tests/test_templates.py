"""Message templates: split into text and known placeholders, filled safely, one variant chosen."""

from __future__ import annotations

import pytest

from pfkcli.templates import MAX_MESSAGE_CHARS, TemplateError, choose, compile_template, render, template_problem


def test_a_template_is_split_into_text_and_known_placeholders():
    template = compile_template("{姓名}您好，已交{已交作业}次，{{不是占位符}}")
    assert template.fields == frozenset({"姓名", "已交作业"})
    assert render(template, {"姓名": "张伟", "已交作业": "7"}) == "张伟您好，已交7次，{不是占位符}"
    assert render(template, {"姓名": "张伟", "已交作业": None}) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{姓命}您好", "不认识的占位符「{姓命}」，是不是「{姓名}」？可用的有："),
        ("{姓名.__class__}", "不认识的占位符「{姓名.__class__}」"),
        ("{姓名[0]}", "不认识的占位符「{姓名[0]}」"),
        ("{姓名!r}", "不认识的占位符「{姓名!r}」"),
        ("{姓名:>20}", "不认识的占位符「{姓名:>20}」"),
        ("{0}", "不认识的占位符「{0}」"),
        ("{}", "空的占位符「{}」：花括号里要写事实的名字，如 {姓名}"),
        ("{姓名", "花括号没有配对：占位符写成 {姓名} 这样，文字里要用花括号请写 {{ 或 }}"),
        ("姓名}", "花括号没有配对：占位符写成 {姓名} 这样，文字里要用花括号请写 {{ 或 }}"),
    ],
)
def test_anything_but_a_plain_known_name_is_refused(text, message):
    with pytest.raises(TemplateError) as caught:
        compile_template(text)
    assert str(caught.value).startswith(message)


def test_a_template_longer_than_a_chat_message_is_a_problem():
    assert template_problem("好" * MAX_MESSAGE_CHARS) is None
    assert template_problem("好" * (MAX_MESSAGE_CHARS + 1)) == "太长了（201 字）：一条微信消息最多 200 字"


def test_choose_is_stable_prefers_the_richer_texts_and_avoids_the_row_above():
    rich_a = compile_template("{姓名}交了{已交作业}次")
    rich_b = compile_template("{姓名}，作业{已交作业}次")
    fallback = compile_template("{姓名}您好")
    variants = [rich_a, rich_b, fallback]
    facts = {"姓名": "张伟", "已交作业": "7"}
    picks = {choose(variants, facts, f"S{n}|续费7天").text for n in range(40)}
    assert picks == {rich_a.text, rich_b.text}  # the fallback says less: set aside while a richer one fits
    assert choose(variants, facts, "S1|续费7天") == choose(variants, facts, "S1|续费7天")
    first = choose(variants, facts, "S1|续费7天")
    assert choose(variants, facts, "S1|续费7天", avoid=first.text) != first
    assert choose(variants, {"姓名": "张伟", "已交作业": None}, "S1|续费7天") == fallback
    assert choose(variants, {"姓名": None, "已交作业": "7"}, "S1|续费7天") is None
