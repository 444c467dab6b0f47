"""Rewrite the README's "Supported sources" table from the presets in mappings/.

python scripts/supported_sources.py          # rewrite README.md
python scripts/supported_sources.py --check  # exit 1 when README.md is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from migrator.presets.registry import list_presets
from migrator.presets.sources_table import render_table, replace_table

README = Path(__file__).resolve().parents[1] / "README.md"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--check", action="store_true", help="only check; exit 1 when the README is out of date"
    )
    args = parser.parse_args()
    current = README.read_text(encoding="utf-8")
    wanted = replace_table(current, render_table(list_presets()))
    if wanted == current:
        print("README.md: the Supported sources table is up to date")
        return 0
    if args.check:
        print(
            "README.md: the Supported sources table is out of date; run python scripts/supported_sources.py"
        )
        return 1
    README.write_text(wanted, encoding="utf-8")
    print("README.md: Supported sources table rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
