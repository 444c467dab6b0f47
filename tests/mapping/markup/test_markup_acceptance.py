"""The acceptance cases of ../shared/reference/markup.md §7, per source markup.

Conventions of the reference: ``<A:name>`` is the Tracker attachment id of a source file — here the
``files`` map gives ids (``screenshot 1.png`` → 101 …) and the expected text has them; ``MAP`` is
``PROJ-12→NEWQ-12``; users ``jsmith→ivanov``, accountid ``5b10a2844c20165700ede21g→petrov``,
``ghost`` unmapped. Each case: (case, source markup, input, expected YFM, files).
"""

from __future__ import annotations

import json

import pytest

from migrator.mapping.markup import MarkupConverter, render_text

USERS = {"jsmith": "ivanov", "5b10a2844c20165700ede21g": "petrov"}
NO_FILES: dict[str, str | int] = {}

ADF_J21 = json.dumps(
    {
        "type": "doc",
        "version": 1,
        "content": [
            {
                "type": "panel",
                "attrs": {"panelType": "success"},
                "content": [
                    {"type": "paragraph", "content": [{"type": "text", "text": "Success info panel"}]}
                ],
            },
            {
                "type": "paragraph",
                "content": [
                    {"type": "mention", "attrs": {"id": "5b10a2844c20165700ede21g", "text": "@jhope"}}
                ],
            },
        ],
    }
)

CASES: list[tuple[str, str, str, str, dict[str, str | int]]] = [
    (
        "J1",
        "jira",
        "Before:\r\n * Item 1\r\n * Item 2\r\n\r\nAfter line\r\nAfter line 2",
        "Before:\n\n- Item 1\n- Item 2\n\nAfter line\nAfter line 2",
        NO_FILES,
    ),
    (
        "J2",
        "jira",
        "||aa||bb||\n|row1|row1-3[mylink|https://www.google.com]|",
        "|aa|bb|\n|---|---|\n|row1|row1-3[mylink](https://www.google.com)|",
        NO_FILES,
    ),
    (
        "J3",
        "jira",
        "||Step||Result||\n|Open\npage|*OK*|",
        "#|\n|| **Step** | **Result** ||\n||\nOpen\npage\n|\n**OK**\n||\n|#",
        NO_FILES,
    ),
    (
        "J4",
        "jira",
        "{code}\ndef test_code():\n    assert convert(...)\n{code}",
        "```\ndef test_code():\n    assert convert(...)\n```",
        NO_FILES,
    ),
    (
        "J6",
        "jira",
        "{panel:title=My Title}\nSome text with a title\n{panel}",
        '{% note info "My Title" %}\n\nSome text with a title\n\n{% endnote %}',
        NO_FILES,
    ),
    (
        "J7",
        "jira",
        "{warning}Do *not* deploy{warning}",
        '{% note warning "" %}\n\nDo **not** deploy\n\n{% endnote %}',
        NO_FILES,
    ),
    ("J8", "jira", "{color:red}red text!{color}", "{red}(red text!)", NO_FILES),
    (
        "J9",
        "jira",
        "[Winston Smith|~accountid:5b10a2844c20165700ede21g] woke up",
        "@petrov woke up",
        NO_FILES,
    ),
    ("J10", "jira", "ping [~ghost].", "ping `@ghost`.", NO_FILES),
    (
        "J11",
        "jira",
        "!screenshot 1.png|thumbnail!",
        "![screenshot 1.png](/ajax/v2/attachments/101?inline=true)",
        {"screenshot 1.png": 101},
    ),
    (
        "J12",
        "jira",
        "!image.jpg| WIDTH  =  300 , HEIGHT=200!",
        "![image.jpg](/ajax/v2/attachments/102?inline=true =300x200)",
        {"image.jpg": 102},
    ),
    (
        "J13",
        "jira",
        "see [^log file.txt]",
        "see [log file.txt](/ajax/v2/attachments/103)",
        {"log file.txt": 103},
    ),
    ("J18", "jira", "text\n----\nmore", "text\n\n---\n\nmore", NO_FILES),
    (
        "J19",
        "jira",
        "+inserted+ and ??citation?? and H~2~O and x^2^",
        "++inserted++ and _citation_ and H2O and x^2^",
        NO_FILES,
    ),
    ("J20", "jira", "(/) done (x) failed (!) warn", "✅ done ❌ failed ⚠️ warn", NO_FILES),
    (
        "J21",
        "adf",
        ADF_J21,
        '{% note tip "" %}\n\nSuccess info panel\n\n{% endnote %}\n\n@petrov',
        NO_FILES,
    ),
    ("H2", "html", "<pre>foo\n```\nbar</pre>", "````\nfoo\n```\nbar\n````", NO_FILES),
    (
        "H3",
        "html",
        "<table><tr><th>A</th><th>B</th></tr><tr><td>1|2</td><td>3</td></tr></table>",
        "| A | B |\n| --- | --- |\n| 1\\|2 | 3 |",
        NO_FILES,
    ),
    (
        "H4",
        "html",
        "<details><summary>Logs</summary><pre>trace</pre></details>",
        '{% cut "Logs" %}\n\n```\ntrace\n```\n\n{% endcut %}',
        NO_FILES,
    ),
    (
        "H6",
        "html",
        '<img data-asana-gid="333" src="https://s3.example/x.png?X-Amz-Expires=300"/>',
        "![](/ajax/v2/attachments/106?inline=true)",
        {"asana:333": 106},
    ),
    (
        "H8",
        "html",
        "<p>1. numbered para</p><p># not heading</p><p>[x](y)</p>",
        "1\\. numbered para\n\n\\# not heading\n\n\\[x\\](y)",
        NO_FILES,
    ),
    ("H9", "html", "<ul><li>a<ul><li>b</li></ul></li></ul>", "- a\n  - b", NO_FILES),
    (
        "R2",
        "textile",
        "<pre>\n<response>\n  <code>XX</code>\n</response>\n</pre>",
        "```\n<response>\n  <code>XX</code>\n</response>\n```",
        NO_FILES,
    ),
    (
        "R3",
        "textile",
        "{{collapse(view more)\n\nFoo\n\n* [[Bar {baz}]]\n\n}}",
        '{% cut "view more" %}\n\nFoo\n\n- [[Bar {baz}]]\n\n{% endcut %}',
        NO_FILES,
    ),
    (
        "R5",
        "textile",
        "The underscore should not be escaped\nhttps://orchi.tech/#_field_value_factor",
        "The underscore should not be escaped\nhttps://orchi.tech/#_field_value_factor",
        NO_FILES,
    ),
    ("R6", "textile", "* a\n** b\n# c", "- a\n  - b\n\n1. c", NO_FILES),
    (
        "G1",
        "markdown",
        '<img width="455" alt="Screenshot 2021-05-08" '
        'src="https://user-images.githubusercontent.com/2364546/117544850-a1b2.png">',
        "![Screenshot 2021-05-08](/ajax/v2/attachments/107?inline=true =455x)",
        {"https://user-images.githubusercontent.com/2364546/117544850-a1b2.png": 107},
    ),
    (
        "G2",
        "markdown",
        "<details>\n<summary>More</summary>\n\nbody\n\n</details>",
        '{% cut "More" %}\n\nbody\n\n{% endcut %}',
        NO_FILES,
    ),
    (
        "G3",
        "markdown",
        "> [!WARNING]\n> Data loss possible",
        '{% note warning "" %}\n\nData loss possible\n\n{% endnote %}',
        NO_FILES,
    ),
    (
        "G5",
        "markdown",
        "![diagram](/uploads/0123abcd/diagram.png){width=50%}",
        "![diagram](/ajax/v2/attachments/108?inline=true)",
        {"/uploads/0123abcd/diagram.png": 108},
    ),
    (
        "G6",
        "markdown",
        "@jsmith and @ghost, mail a@b.com, `@jsmith`",
        "@ivanov and `@ghost`, mail a@b.com, `@jsmith`",
        NO_FILES,
    ),
    ("G7", "markdown", "- [ ] todo\n- [x] done", "- [ ] todo\n- [x] done", NO_FILES),
    (
        "G9",
        "markdown",
        "Watch @[youtube](dQw4w9WgXcQ) and x^2^ and ##tag##",
        "Watch @\\[youtube](dQw4w9WgXcQ) and x\\^2\\^ and \\#\\#tag\\#\\#",
        NO_FILES,
    ),
    ("G10", "markdown", "[[_TOC_]]\n\nline one\nline two", "line one\nline two", NO_FILES),
]


@pytest.fixture(scope="module")
def converters() -> dict[str, MarkupConverter]:
    """One converter per markup for the whole module (the Jira grammar takes a moment to build)."""
    return {
        fmt: MarkupConverter(fmt, user_login=USERS.get)
        for fmt in ("jira", "adf", "html", "textile", "markdown")
    }


@pytest.mark.parametrize(("case", "fmt", "source", "expected", "files"), CASES, ids=[c[0] for c in CASES])
def test_acceptance_case(
    converters: dict[str, MarkupConverter],
    case: str,
    fmt: str,
    source: str,
    expected: str,
    files: dict[str, str | int],
) -> None:
    converted = converters[fmt].convert(source)
    rendered = render_text(converted, files=files)
    assert rendered.text == expected
    assert "attachment_embed" not in rendered.lossy  # every embedded file of the case was resolved
