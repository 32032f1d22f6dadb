"""Whether this machine has the memory a roster will take, told before any work (SPEC §9: past what
memory allows, one clear line, never an abort midway with nothing said).

The need is estimated from the file: `pfk classify`, the heaviest reader of a roster, measured at
20,000 and 1,000,000 students (README › Performance), takes a base plus so much per byte of a CSV,
or per cell of a workbook's sheet (calamine holds the sheet's whole used range). It is held against
what the machine has free now (/proc/meminfo's MemAvailable) and against the process's own limit on
its address space (`ulimit -v`), which counts more than resident memory: every thread's stack and
the allocators' reserved arenas on top.
Where neither can be known (Windows, macOS), nothing is checked.
"""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

from .errors import InputError

MB = 1024**2
# Resident peak: base + per CSV byte, or per sheet cell (fitted to the two measured sizes, rounded up).
RESIDENT_BASE = 350 * MB
RESIDENT_PER_CSV_BYTE = 5.5
RESIDENT_PER_CELL = 75
# Address space: the smallest `ulimit -v` under which the run ends well (measured: the sample
# under 1.0 GB, a 1,000,000-student CSV between 2.5 and 2.7 GB, the same as .xlsx between 2.4 and
# 2.7 GB), rounded up.
ADDRESS_BASE = 1000 * MB
ADDRESS_PER_CSV_BYTE = 9.0
ADDRESS_PER_CELL = 85
# Sheet XML takes 40 bytes or more a cell: the cells of a sheet whose size says nothing else.
XML_BYTES_PER_CELL = 40
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


def check_csv(path: Path) -> None:
    """Refuse, before reading, a CSV this machine has not the memory to classify."""
    size = path.stat().st_size
    _check(path, RESIDENT_BASE + RESIDENT_PER_CSV_BYTE * size, ADDRESS_BASE + ADDRESS_PER_CSV_BYTE * size)


def check_workbook(path: Path, sheet_member: str) -> None:
    """Refuse, before calamine reads it, a workbook sheet this machine has not the memory to classify.
    Its cells are what its <dimension> says (the used range, which calamine lays out whole), or what
    its XML's size allows, whichever is more."""
    try:
        with zipfile.ZipFile(path) as archive:
            inflated = archive.getinfo(sheet_member).file_size
            with archive.open(sheet_member) as stream:
                head = stream.read(1 << 16)
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, EOFError):
        return  # the reader says what is wrong with the file
    cells = inflated // XML_BYTES_PER_CELL
    found = _DIMENSION.search(head)
    if found and found.group(3):
        rows = int(found.group(4)) - int(found.group(2)) + 1
        columns = _column_number(found.group(3).decode()) - _column_number(found.group(1).decode()) + 1
        cells = max(cells, rows * columns)
    _check(path, RESIDENT_BASE + RESIDENT_PER_CELL * cells, ADDRESS_BASE + ADDRESS_PER_CELL * cells)


def _column_number(letters: str) -> int:
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number


def _check(path: Path, resident: float, address: float) -> None:
    free, used = _free_memory()
    if free is not None and resident - used > free:
        raise InputError(
            f"{path.name}: 处理这份名单约需 {_size(resident)} 内存，本机现在只有 {_size(free + used)} 可用；"
            "请关闭其他程序后再试，或把名单按老师或班级拆成几份分别运行"
        )
    limit = _address_limit()
    if limit is not None and address > limit:
        raise InputError(
            f"{path.name}: 处理这份名单约需 {_size(address)} 地址空间，超过本进程的内存上限 {_size(limit)}（ulimit -v）；"
            "请放宽上限后再试，或把名单按老师或班级拆成几份分别运行"
        )


def _free_memory() -> tuple[int | None, int]:
    """(MemAvailable, this process's resident memory now), in bytes; None where /proc says nothing."""
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            free = next(int(line.split()[1]) * 1024 for line in info if line.startswith("MemAvailable:"))
        with open("/proc/self/statm", encoding="ascii") as statm:
            used = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, StopIteration, ValueError, IndexError):
        return None, 0
    return free, used


def _address_limit() -> int | None:
    try:
        import resource
    except ImportError:  # Windows
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return None if soft == resource.RLIM_INFINITY else soft


def _size(size: float) -> str:
    return f"{size / 1024**3:.1f} GB" if size >= 1024**3 else f"{size / MB:.0f} MB"
