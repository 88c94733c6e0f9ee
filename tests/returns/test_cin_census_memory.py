"""The CIN census reader's memory stays bounded whatever the shape of the file (issue 11).

lxml builds its tree in C, so the honest measure is the peak resident memory of a process that reads the file.
Each file here is 8 MB, most of it empty elements in one place a real census never has them; read in a fresh
process, its peak (``VmHWM``, which belongs to the new program, unlike ``ru_maxrss`` that keeps the parent's peak
across fork and exec) must stay under 150 MB, whether the file is refused or read.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.returns.census_xml import census, child, upn

FILE_BYTES = 8_000_000
PEAK_LIMIT_MB = 150
JUNK = b"<x/>" * (FILE_BYTES // 4)
TWO_CHILDREN = census(child("C1"), child("C2", child_upn=upn(2)))

READ = """
import sys
from safeguarding.returns.cin_census.reader import CensusFileRefused, open_census
try:
    census = open_census(sys.argv[1])
    print("read", sum(1 for _ in census.children()))
except CensusFileRefused as refused:
    print("refused", refused)
with open("/proc/self/status") as status:
    print(next(line for line in status if line.startswith("VmHWM:")).split()[1])
"""


def _wrapped_children() -> bytes:
    """Every child inside an element of its own, followed by fifty empty ones: they pile up unless dropped."""
    one = b"<Wrap><Child><ChildIdentifiers><LAchildID>W</LAchildID></ChildIdentifiers></Child>" + b"<x/>" * 50
    one += b"</Wrap>"
    return census().replace(b"\n</Children>", one * (FILE_BYTES // len(one)) + b"\n</Children>")


SHAPES = {
    "inside the header": TWO_CHILDREN.replace(b"<Source>", JUNK + b"<Source>"),
    "between the header and the children": TWO_CHILDREN.replace(b"</Header>", b"</Header>" + JUNK),
    "between two children": TWO_CHILDREN.replace(b"</Child>\n<Child>", b"</Child>\n" + JUNK + b"<Child>"),
    "after the last child": TWO_CHILDREN.replace(b"\n</Children>", JUNK + b"\n</Children>"),
    "after the children": TWO_CHILDREN.replace(b"</Children>", b"</Children>" + JUNK),
    "inside a child": TWO_CHILDREN.replace(b"<ChildCharacteristics>", JUNK + b"<ChildCharacteristics>", 1),
    "around every child": _wrapped_children(),
}


def peak_megabytes(path: Path) -> tuple[int, str]:
    result = subprocess.run([sys.executable, "-c", READ, str(path)], capture_output=True, text=True, check=True)
    *said, peak_kb = result.stdout.split("\n")[:-1]
    return int(peak_kb) // 1024, "\n".join(said)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak memory is read from /proc")
@pytest.mark.parametrize("where", list(SHAPES))
def test_eight_megabytes_of_empty_elements_never_take_the_reader_past_150_mb(where: str, tmp_path: Path) -> None:
    path = tmp_path / "census.xml"
    path.write_bytes(SHAPES[where])
    assert path.stat().st_size >= FILE_BYTES
    peak, said = peak_megabytes(path)
    assert peak < PEAK_LIMIT_MB, f"{where}: {peak} MB ({said})"
