"""Run one pfk command and note every SQL statement it sends to the workspace's history, so that the
floor reads the same tables (run.py's untimed round 0; never timed itself).

    python benchmarks/trace.py STATEMENTS.json pfk-arguments…
"""

from __future__ import annotations

import json
import sqlite3
import sys

statements: list[str] = []
_connect = sqlite3.connect


def _traced(*args, **kwargs):
    conn = _connect(*args, **kwargs)
    conn.set_trace_callback(statements.append)
    return conn


def main() -> None:
    target, arguments = sys.argv[1], sys.argv[2:]
    sqlite3.connect = _traced
    sys.argv = ["pfk", *arguments]
    from pfkcli.cli import main as pfk

    try:
        pfk()
    except SystemExit as exit:
        if exit.code not in (0, None):
            raise
    finally:
        with open(target, "w", encoding="utf-8") as out:
            json.dump(statements, out, ensure_ascii=False)


if __name__ == "__main__":
    main()
