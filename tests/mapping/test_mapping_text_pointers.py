"""Which of its issue's files a text shows, and what is kept to render it when it is sent."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from migrator.findings import Findings
from migrator.mapping.config import UsersSpec
from migrator.model import Attachment, Comment, SourceRef, UserRef
from migrator.plan import PlannedIssue
from migrator.textspans import ConvertedText, render_text, spans_from_json

from .mapping_helpers import T0, make_config, make_issue, of_kind, transformer


def _files(root: Path, *names: str) -> Path:
    folder = root / "files"
    for name in names:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(name.encode())
    return root


def _att(
    ident: str, name: str, *, location: str | None = None, comment: str | None = None, minutes: int = 0
) -> Attachment:
    return Attachment(
        SourceRef("jira", ident),
        name,
        location or name,
        created_at=T0 + timedelta(minutes=minutes),
        author=UserRef("jsmith"),
        comment_id=comment,
    )


def _comment(ident: str, text: str, minutes: int, files: list[Attachment] | None = None) -> Comment:
    return Comment(
        SourceRef("jira", ident),
        UserRef("jsmith"),
        T0 + timedelta(minutes=minutes),
        text,
        attachments=files or [],
    )


def _plan(root: Path, issue_kw: dict[str, object], **config_kw: object) -> tuple[PlannedIssue, Findings]:
    findings = Findings()
    config = make_config(markup="jira")
    if config_kw:
        config = replace(config, target=replace(config.target, **config_kw))  # type: ignore[arg-type]
    planned = transformer(config, source_dir=root, findings=findings).transform(
        make_issue("PROJ-1", **issue_kw)
    )
    assert planned is not None, [f.message for f in findings]
    return planned, findings


def _rendered(text: str, spans: list[dict[str, object]], files: dict[str, str | int]) -> str:
    return render_text(ConvertedText(text, [], spans_from_json(spans)), files=files).text


def test_a_comment_showing_its_own_file_gets_it_uploaded_first_at_issue_level(tmp_path: Path) -> None:
    shot = _att("a-1", "shot.png", comment="c-1", minutes=5)
    planned, findings = _plan(
        _files(tmp_path, "shot.png"),
        {"comments": [_comment("c-1", "look: !shot.png!", 5)], "attachments": [shot]},
    )
    comment = planned.comments[0]
    assert comment.attachments == [] and [a.filename for a in planned.attachments] == ["shot.png"]
    assert comment.pointers is not None and comment.pointers.shows == ["test:jira:1001/attachment:a-1"]
    text = _rendered(comment.body["text"], comment.pointers.spans, {"test:jira:1001/attachment:a-1": 9})
    assert text == "look: ![shot.png](/ajax/v2/attachments/9?inline=true)"
    (moved,) = of_kind(findings, "text.file_to_issue")
    assert (moved.field, moved.value) == ("comments[0].text", "shot.png")
    assert of_kind(findings, "markup.lossy") == []


def test_with_comment_files_attached_the_file_stays_and_the_text_names_it(tmp_path: Path) -> None:
    shot = _att("a-1", "shot.png", comment="c-1", minutes=5)
    planned, findings = _plan(
        _files(tmp_path, "shot.png"),
        {"comments": [_comment("c-1", "look: !shot.png!", 5)], "attachments": [shot]},
        comment_files="attached",
    )
    assert [a.filename for a in planned.comments[0].attachments] == ["shot.png"]
    assert planned.comments[0].body["text"] == "look: `shot.png`"
    (lossy,) = of_kind(findings, "markup.lossy")
    assert lossy.value == "attachment_embed" and "'shot.png' stays attached to its comment" in lossy.message


def test_a_file_of_an_earlier_comment_or_of_the_issue_is_shown_where_it_is(tmp_path: Path) -> None:
    first = _att("a-1", "one.png", comment="c-1", minutes=1)
    later = _att("a-2", "two.png", minutes=30)  # issue-level, added after the comment that shows it
    comments = [_comment("c-1", "first", 1), _comment("c-2", "!one.png! !two.png!", 10)]
    planned, findings = _plan(
        _files(tmp_path, "one.png", "two.png"), {"comments": comments, "attachments": [first, later]}
    )
    assert [a.filename for a in planned.comments[0].attachments] == ["one.png"]  # sent right after c-1
    assert [a.filename for a in planned.attachments] == ["two.png"]
    pointers = planned.comments[1].pointers
    assert pointers is not None and len(pointers.shows) == 2
    assert of_kind(findings, "text.file_to_issue") == []


def test_the_description_names_its_files_unless_it_is_patched(tmp_path: Path) -> None:
    issue = {"description": "see !shot.png!", "attachments": [_att("a-1", "shot.png")]}
    root = _files(tmp_path, "shot.png")
    named, findings = _plan(root, issue)
    assert named.body["description"] == "see `shot.png`" and not named.description_patch
    (lossy,) = of_kind(findings, "markup.lossy")
    assert "target.description_files: patch shows them" in lossy.message

    patched, findings = _plan(root, issue, description_files="patch")
    assert patched.description_patch and patched.description_pointers is not None
    assert patched.description_pointers.shows == ["test:jira:1001/attachment:a-1"]
    (note,) = of_kind(findings, "text.description_patch")
    assert note.value == "shot.png" and "updatedAt" in note.message
    assert of_kind(findings, "markup.lossy") == []


def test_a_file_the_issue_does_not_have_stays_a_readable_name(tmp_path: Path) -> None:
    planned, findings = _plan(tmp_path, {"comments": [_comment("c-1", "old: !gone.png!", 3)]})
    assert planned.comments[0].body["text"] == "old: `gone.png`"
    assert planned.comments[0].pointers is not None and planned.comments[0].pointers.shows == []
    (lossy,) = of_kind(findings, "markup.lossy")
    assert "'gone.png' is not among the issue's files" in lossy.message


def test_the_latest_file_of_a_name_wins_and_ids_and_upload_paths_find_files(tmp_path: Path) -> None:
    old = _att("10001", "shot.png", location="v1/shot.png", minutes=1)
    new = _att("10002", "shot.png", location="uploads/ab12/shot.png", minutes=2)
    root = _files(tmp_path, "v1/shot.png", "uploads/ab12/shot.png")
    root.joinpath("files/v1/shot.png").write_bytes(b"older version")
    ids = {"10001": "test:jira:1001/attachment:10001", "10002": "test:jira:1001/attachment:10002"}

    def shown(markup: str, text: str) -> list[str]:
        planned = transformer(make_config(markup=markup), source_dir=root).transform(
            make_issue("PROJ-1", comments=[_comment("c-1", text, 5)], attachments=[old, new])
        )
        assert planned is not None and planned.comments[0].pointers is not None
        return planned.comments[0].pointers.shows

    assert shown("jira", "!shot.png!") == [ids["10002"]]  # by name: the latest one, as Jira shows it
    assert shown("html", '<img src="https://jira.example.com/secure/attachment/10001/shot.png">') == [
        ids["10001"]
    ]
    assert shown("markdown", "![s](/uploads/ab12/shot.png)") == [ids["10002"]]


def test_spans_stay_on_their_words_after_an_originally_by_note(tmp_path: Path) -> None:
    config = make_config(markup="jira", users=UsersSpec(map={}, match=["login"], fallback="admin"))
    planned = transformer(config, source_dir=tmp_path).transform(
        make_issue("PROJ-1", created_by=UserRef("o.volkov"), description="dup of PROJ-2")
    )
    assert planned is not None and planned.description_pointers is not None
    text = planned.body["description"]
    assert text.startswith("_Originally by o.volkov_")
    rendered = render_text(
        ConvertedText(text, [], spans_from_json(planned.description_pointers.spans)),
        issues={"PROJ-2": "DEMO-9"},
    )
    assert rendered.text == "_Originally by o.volkov_\n\ndup of DEMO-9"


def test_texts_without_pointers_store_nothing(tmp_path: Path) -> None:
    planned, _ = _plan(
        tmp_path, {"description": "@ghost *plain* words", "comments": [_comment("c-1", "[~jsmith] ok", 2)]}
    )
    assert planned.description_pointers is None and planned.comments[0].pointers is None
    assert planned.comments[0].body["text"] == "@alice ok"
