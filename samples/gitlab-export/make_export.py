"""Pack export/ into the .tar.gz GitLab's project export produces.

GitLab tars the export directory from inside it, so every member starts with ``./``
(``./VERSION``, ``./tree/project/issues.ndjson``, ``./uploads/<hash>/<file>``). Run from anywhere:

    python samples/gitlab-export/make_export.py             # rewrites the committed tarball
    python samples/gitlab-export/make_export.py out.tar.gz  # or writes elsewhere
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # samples/tarball.py

from tarball import pack  # noqa: E402

TARBALL = "2025-05-12_10-41-203_platform_billing_export.tar.gz"
PACKED_AT = 1747046463  # 2025-05-12T10:41:03Z, the time in the file name


def main(argv: list[str]) -> None:
    target = Path(argv[0]) if argv else HERE / TARBALL
    target.write_bytes(pack(HERE / "export", packed_at=PACKED_AT, prefix="./"))


if __name__ == "__main__":
    main(sys.argv[1:])
