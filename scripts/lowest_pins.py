"""Print `name==floor` for each dependency pyproject.toml declares with a `>=` floor (torch excepted: constraints.txt
pins it), for installing the lowest versions the core claims to support. Extras named on the command line are included."""

from __future__ import annotations

import re
import sys
from pathlib import Path

SKIP = {"torch"}


def pins(pyproject: str, extras: list[str]) -> list[str]:
    """The `==` pins of the core's dependencies and the named extras."""
    blocks = [re.search(r"^dependencies = \[(.*?)^\]", pyproject, re.S | re.M).group(1)]
    for extra in extras:
        blocks.append(re.search(rf"^{re.escape(extra)} = \[(.*?)\]", pyproject, re.M).group(1))
    found = []
    for requirement in re.findall(r'"([^"]+)"', "\n".join(blocks)):
        match = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)\s*>=\s*([0-9][^,;\s]*).*", requirement)
        if match is None:
            raise SystemExit(f"{requirement!r} declares no >= floor; give it one so the lowest-versions job can test it")
        if match.group(1).lower() not in SKIP:
            found.append(f"{match.group(1)}=={match.group(2)}")
    return found


if __name__ == "__main__":
    print("\n".join(pins(Path(__file__).resolve().parents[1].joinpath("pyproject.toml").read_text(), sys.argv[1:])))
