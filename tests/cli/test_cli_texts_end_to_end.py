"""Texts that still point at the right things, end to end, once per source markup.

Each fixture (``tests/fixtures/texts/<markup>/``) is three issues of one export: the first names
the other two (forward references, imported later), the others name the earlier ones; the texts
mention a mapped and an unmapped person, embed an image, a comment shows its own image, and code
holds a key that must stay as written. The CLI imports it into the sandbox; the stored texts are
read back through the API and compared with what they must say. Then ``verify`` agrees, a second
run writes nothing, and a run killed half-way and resumed into a fresh target stores the same texts.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cli.texts_helpers import (
    MARKUPS,
    client_for,
    env_for,
    issues_file,
    kill_after_writes,
    mapping_for,
    run_cli,
    target_texts,
    writes,
)
from migrator.cli import main
from migrator.execution.queue_lease import lease_unique
from migrator.sandbox import SandboxConfig, SandboxServer

JIRA_REFS = "Blocked by DEMO-2, see also [the old page](/DEMO-3) and [PROJ-99](https://jira.example.com/browse/PROJ-99)."
SHOT = "/ajax/v2/attachments/<shot.png>?inline=true"
DIAGRAM = "/ajax/v2/attachments/<diagram.png>?inline=true"
NOTES = "[notes.txt](/ajax/v2/attachments/<notes.txt>)"

# markup -> Tracker key -> (description, [comment texts]); attachment ids are shown as <file name>.
EXPECTED: dict[str, dict[str, tuple[str, list[str]]]] = {
    "jira": {
        "DEMO-1": (
            f"{JIRA_REFS} Encoding: UTF-8.\n@bob please check; `@ghost` wrote it.\n\n"
            f"![shot.png]({SHOT} =200x)\n\nCode: `PROJ-1`",
            [],
        ),
        "DEMO-2": ("Follow-up of DEMO-1.", [f"Diagram for DEMO-3:\n\n![diagram.png]({DIAGRAM})"]),
        "DEMO-3": ("", [f"Duplicates DEMO-1 and DEMO-2. Notes: {NOTES}"]),
    },
    "adf": {
        "DEMO-1": (
            f"{JIRA_REFS} Encoding: UTF-8.\n\n@bob please check; `@Ghost` wrote it.\n\n`shot.png`\n\n"
            "Code: `PROJ-1`",
            [],
        ),
        "DEMO-2": ("Follow-up of DEMO-1.", [f"Diagram for DEMO-3:\n\n![diagram.png]({DIAGRAM})"]),
        "DEMO-3": ("", [f"Duplicates DEMO-1 and DEMO-2. Notes:\n\n{NOTES}"]),
    },
    "html": {
        "DEMO-1": (
            f"{JIRA_REFS} Encoding: UTF-8.\n\n@bob please check; `@Ghost` wrote it.\n\n"
            f"![]({SHOT} =200x)\n\nCode: `PROJ-1`",
            [],
        ),
        "DEMO-2": ("Follow-up of DEMO-1.", [f"Diagram for DEMO-3:\n\n![]({DIAGRAM})"]),
        "DEMO-3": ("", [f"Duplicates DEMO-1 and DEMO-2. Notes: {NOTES}"]),
    },
    "textile": {
        "DEMO-1": (
            "Blocked by DEMO-2, see also [the old page](/DEMO-3) and [#99](https://redmine.example.com/issues/99)."
            "\n@bob please check; `@ghost` wrote it.\n\n`shot.png`\n\n```\nsee #1\n```",
            [],
        ),
        "DEMO-2": ("Follow-up of DEMO-1.", [f"Diagram for DEMO-3:\n\n![]({DIAGRAM})"]),
        "DEMO-3": ("", [f"Duplicates DEMO-1 and DEMO-2. Notes: {NOTES}"]),
    },
    "markdown": {
        "DEMO-1": (
            "Blocked by DEMO-2, see also [the old page](/DEMO-3) and "
            "[#99](https://gitlab.example.com/grp/app/-/issues/99) and "
            "[!5](https://gitlab.example.com/grp/app/-/merge_requests/5).\n"
            f"@bob please check; `@ghost` wrote it.\n\n![shot]({SHOT} =200x)\n\nCode: `#1`",
            [],
        ),
        "DEMO-2": ("Follow-up of DEMO-1.", [f"Diagram for DEMO-3:\n\n![diagram]({DIAGRAM})"]),
        "DEMO-3": ("", [f"Duplicates DEMO-1 and DEMO-2. Notes: {NOTES}"]),
    },
    "plain": {
        "DEMO-1": (
            "Blocked by DEMO-2, see also DEMO-3 and OPS-99. Encoding: UTF-8.\n@bob please check; \\*not bold\\*.",
            [],
        ),
        "DEMO-2": ("Follow-up of DEMO-1.", ["Diagram for DEMO-3 attached."]),
        "DEMO-3": ("", ["Duplicates DEMO-1 and DEMO-2."]),
    },
}
# The description shows its image only where the mapping PATCHes it (target.description_files: patch).
PATCHED = {"jira", "html", "markdown"}
KILL_AFTER_WRITES = 4  # the first issues, their files and the PATCH are in; comments are not


@pytest.mark.parametrize("markup", MARKUPS)
def test_texts_point_at_migrated_issues_files_and_people(
    markup: str, tmp_path: Path, sandbox: SandboxServer, point_at
) -> None:
    point_at(sandbox)
    args = [str(issues_file(markup)), "--mapping", str(mapping_for(markup, tmp_path)), "--no-progress"]
    assert main(["run", *args, "--yes"]) == 0

    client = client_for(sandbox)
    texts = target_texts(client)
    got = {key: (issue["description"], issue["comments"]) for key, issue in texts.items()}
    assert got == EXPECTED[markup]
    # the queue lease's marker takes the key after the planned ones, never one a text names
    assert client.find_by_unique(lease_unique("DEMO"))["key"] == "DEMO-4"
    issue = client.get_issue("DEMO-1")
    if markup in PATCHED:  # the PATCH moved updatedAt, as planned and reported
        assert issue["updatedAt"] != "2024-01-10T09:30:00.000+0000"
    else:
        assert issue["updatedAt"] == "2024-01-10T09:30:00.000+0000"
    assert main(["verify", *args]) == 0

    before = writes(sandbox)
    assert main(["run", *args, "--yes"]) == 0
    assert writes(sandbox) == before
    assert target_texts(client) == texts

    resumed = tmp_path / "resumed"
    resumed.mkdir()
    with SandboxServer(SandboxConfig(data=tmp_path / "second.sqlite", latency_ms=30), port=0) as second:
        env = env_for(second)
        command = ["run", *args, "--yes", "--workers", "1"]
        assert kill_after_writes(run_cli(command, env, resumed), second, KILL_AFTER_WRITES)
        done = subprocess.run(
            [sys.executable, "-m", "migrator", *command],
            cwd=resumed,
            env=env,
            capture_output=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout.decode()[-3000:] + done.stderr.decode()[-3000:]
        assert target_texts(client_for(second)) == texts
