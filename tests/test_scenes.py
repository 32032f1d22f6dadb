"""Scenes of the message drafts, declared once: their order, windows and renewal personas."""

from __future__ import annotations

from pfkcli.scenes import MESSAGE_KEYS, PERSONAS, SCENES, template_keys
from pfkcli.templates import PLACEHOLDERS


def test_scenes_are_declared_once_in_their_precedence():
    assert [(s.name, s.window) for s in SCENES] == [
        ("通话跟进", "同一次通话发过就不再起草"),
        ("首次联系", "发过就不再起草"),
        ("满意度低", "发过后 14 天内不再起草"),
        ("转下期", "本期（结课前 30 天起）发过就不再起草"),
        ("续费3天", "本阶段（结课前 3 天起）发过就不再起草"),
        ("续费7天", "本阶段（结课前 7 天起）发过就不再起草"),
        ("续费30天", "本阶段（结课前 30 天起）发过就不再起草"),
        ("连续未学习关怀", "发过后 7 天内不再起草"),
        ("进度督促", "发过后 7 天内不再起草"),
        ("结课祝贺", "同一次结课发过就不再起草"),
    ]
    known = {p.name for p in PLACEHOLDERS}
    assert all(set(s.facts) <= known for s in SCENES)
    assert [p.name for p in PERSONAS] == ["落后", "优惠", "新课", "进阶"]


def test_a_renewal_persona_is_looked_up_before_the_stage():
    assert template_keys("续费7天", "优惠") == ("续费7天·优惠", "续费·优惠", "续费7天")
    assert template_keys("续费7天", None) == ("续费7天",)
    assert template_keys("连续未学习关怀", "优惠") == ("连续未学习关怀",)
    assert "续费·进阶" in MESSAGE_KEYS and "续费3天·新课" in MESSAGE_KEYS and "进度督促·优惠" not in MESSAGE_KEYS
