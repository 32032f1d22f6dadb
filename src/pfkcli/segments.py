"""The eight PFK segments and pending callback, declared once: code, Chinese name, colour, priority.

Every other module (classification, call sheets, playbooks, reports) reads segments from here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    code: str  # P_L-F_L-K_L
    name: str  # 重要价值学员
    colour: str  # row fill in every workbook, light enough for black text
    group: str  # 价值 / 督促 / 维持 / 挽留 / 待回访
    # How many days of waiting a call to this segment is worth (plan.py orders routine calls by days
    # waited + this): strong students slipping first, where a call changes most (seed 000's 重点), the
    # low-everything segment last ("做好运营正常工作就好").
    value: int
    rank: int  # higher is a better place to be, used to tell a move up from a move down


PENDING_CODE = "待回访"

SEGMENTS: tuple[Segment, ...] = (
    Segment("P_L-F_L-K_L", "重要价值学员", "#C6EFCE", "价值", 6, 8),
    Segment("P_L-F_L-K_S", "一般价值学员", "#E2F0D9", "价值", 2, 7),
    Segment("P_L-F_S-K_L", "重点督促学员", "#FFEB9C", "督促", 12, 6),
    Segment("P_L-F_S-K_S", "一般督促学员", "#FFF2CC", "督促", 8, 5),
    Segment("P_S-F_L-K_L", "重要维持学员", "#DDEBF7", "维持", 10, 4),
    Segment("P_S-F_L-K_S", "一般维持学员", "#EDF3FA", "维持", 4, 3),
    Segment("P_S-F_S-K_L", "重点挽留学员", "#F8CBAD", "挽留", 14, 2),
    Segment("P_S-F_S-K_S", "一般挽留学员", "#FCE4D6", "挽留", 0, 1),
)
PENDING = Segment(PENDING_CODE, "待回访学员", "#E7E6E6", "待回访", 0, 0)

ALL_SEGMENTS: tuple[Segment, ...] = (*SEGMENTS, PENDING)
BY_CODE: dict[str, Segment] = {s.code: s for s in ALL_SEGMENTS}


def segment_code(p_high: bool, f_high: bool, k_high: bool) -> str:
    """`P_L-F_S-K_L` for high P, low F, high K."""
    return str(segment_codes([p_high], [f_high], [k_high], [False])[0])


def segment_codes(p_high, f_high, k_high, pending):
    """`segment_code` over whole columns (boolean arrays); PENDING_CODE where `pending`."""
    import numpy as np

    def part(axis: str, high):
        return np.where(np.asarray(high, dtype=bool), f"{axis}_L", f"{axis}_S").astype(object)

    codes = part("P", p_high) + "-" + part("F", f_high) + "-" + part("K", k_high)
    return np.where(np.asarray(pending, dtype=bool), PENDING_CODE, codes)


def segment_values(segments):
    """Each student's segment value (`Segment.value`; 0 for an unknown code) as a float Series on the
    same index: looked up once per distinct code, not once per student."""
    import numpy as np
    import pandas as pd

    codes, distinct = pd.factorize(segments)
    values = np.array([BY_CODE[c].value if c in BY_CODE else 0 for c in distinct] + [0], dtype="float64")
    return pd.Series(values[codes], index=segments.index)  # code -1 (blank) takes the trailing 0


_CODE_PATTERN = re.compile(r"^P_?([LS])[\s\-_]*F_?([LS])[\s\-_]*K_?([LS])$")


def parse_segment(text: str) -> Segment | None:
    """Accept `P_S-F_S-K_L`, `PSFSKL`, `P_S F_S K_L`, lower case, the Chinese name, or 待回访."""
    folded = unicodedata.normalize("NFKC", str(text)).strip()
    for segment in ALL_SEGMENTS:
        if folded in (segment.name, segment.name.removesuffix("学员"), segment.code):
            return segment
    if folded in ("pending", "待回访学员"):
        return PENDING
    match = _CODE_PATTERN.match(folded.upper())
    if match:
        p, f, k = (level == "L" for level in match.groups())
        return BY_CODE[segment_code(p, f, k)]
    return None


def valid_spellings() -> str:
    return "、".join(f"{s.code}（{s.name}）" for s in ALL_SEGMENTS)
