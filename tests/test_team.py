"""Teachers' loads against their capacity, before and after a change."""

from __future__ import annotations

import pandas as pd

from pfkcli.config import Config
from pfkcli.team import team_loads


def test_loads_count_each_teacher_and_say_the_room_left():
    config = Config.model_validate({"teachers": {"张老师": {"capacity": 3}, "李老师": {"capacity": 2, "active": False}}})
    before = pd.Series(["张老师", "张老师", "李老师", None])
    after = pd.Series(["张老师", "张老师", "张老师", "王老师"])
    loads = {load.teacher: load for load in team_loads(config, before, after)}
    assert (loads["张老师"].before, loads["张老师"].after, loads["张老师"].room) == (2, 3, 0)
    assert (loads["李老师"].after, loads["李老师"].active, loads["李老师"].listed) == (0, False, True)
    assert not loads["王老师"].listed and loads["王老师"].capacity == config.assign.default_capacity
