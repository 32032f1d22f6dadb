"""What a teacher records about a call is declared once."""

from __future__ import annotations

from pfkcli.calls import COMPLAINT, DEFAULT_OUTCOME, OUTCOMES, PROBLEM_TYPES


def test_only_a_conversation_is_a_callback():
    assert [(o.label, o.reached) for o in OUTCOMES] == [
        ("已接通", True), ("微信沟通", True), ("未接通", False), ("拒接", False), ("号码错误", False), ("关机停机", False),
    ]
    assert DEFAULT_OUTCOME.reached
    assert COMPLAINT in PROBLEM_TYPES and PROBLEM_TYPES[-1] == "其他"
