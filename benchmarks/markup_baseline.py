"""The Jira corpus and the baseline converter that ``bench_markup.py`` and ``pin_markup_corpus.py`` share.

* :func:`corpus_texts` — the texts every Jira speed claim is measured and proved on: the texts
  ``bench_validate.py`` generates, the Jira inputs of the acceptance cases and of our own pitfall
  cases, and seeded random texts built from Jira markup fragments. Deterministic.
* :func:`load_baseline` — the single-module converter (``migrator/mapping/markup.py``) as it was at a
  git revision, imported from a temporary copy, so "old" can be timed and compared in the same process
  as "new".
"""

from __future__ import annotations

import importlib.util
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

# The last revision with the single-module converter (before the markup package and its speed work).
BASELINE_REF = "35139cd"
REPO = Path(__file__).resolve().parent.parent

USERS = {"jsmith": "ivanov", "5b10a2844c20165700ede21g": "petrov", "o.volkov": "oleg"}

# Fragments random texts are made of: every Jira construct, its broken halves, and plain words.
FRAGMENTS = (
    "*", "_", "-", "+", "^", "~", "??", "{{", "}}", "[", "]", "|", "||", "!", "\n", "\n\n", "\r\n", " ",
    "  ", "\t", "word", "Word.", "PROJ-12", "#45", "h1. ", "h3. ", "bq. ", "* ", "# ", "** ", "*# ",
    "- ", "----", "--", "---", "{code}", "{code:java}", "{noformat}", "{panel:title=T}", "{panel}",
    "{info}", "{warning}", "{tip:title=Hint}", "{tip}", "{quote}", "{color:red}", "{color:#00ff00}",
    "{color}", "[~jsmith]", "[~ghost]", "[Ann|~accountid:5b10a2844c20165700ede21g]", "[a|http://x.y]",
    "[http://x.y/p]", "http://a.b/c_d", "[mailto:a@b.c]", "(/)", "(x)", ":)", "{%", "{{v}}", "@[",
    "##", "==", "__", "<", "<b>", "\\\\", "!a.png!", "!b c.jpg|thumbnail!", "!d.png|width=300!",
    "[^f.txt]", "H~2~O", "x^2^", "|a|b|\n", "||h1||h2||\n", "*bold*", "_it_", "-del-", "+ins+",
    "{{mono}}", "??cite??", "`tick`", "```", "&", "\\", "{", "}",
)  # fmt: skip


def bench_texts(issues: int = 200) -> list[str]:
    """The description and comment texts ``bench_validate.py`` generates (they differ only by number)."""
    texts: list[str] = []
    for n in range(1, issues + 1):
        texts.append(f"h2. Steps\n* open page {n}\n* click *Save*\n{{code}}print({n}){{code}}")
        texts.extend(f"comment {index} with *bold*; and a semicolon" for index in range(3))
    return texts


PITFALLS = (
    "Before:\r\n * Item 1\r\n * Item 2\r\n\r\nAfter line\r\nAfter line 2",
    "||aa||bb||\n|row1|row1-3[mylink|https://www.google.com]|",
    "||Step||Result||\n|Open\npage|*OK*|",
    "{code}\ndef test_code():\n    assert convert(...)\n{code}",
    "{code:xml}\n<a>{color:red}x{color}</a>\n{code}",
    "{panel:title=My Title}\nSome text with a title\n{panel}",
    "{warning}Do *not* deploy{warning}",
    "{color:red}red text!{color}",
    "[Winston Smith|~accountid:5b10a2844c20165700ede21g] woke up",
    "ping [~ghost].",
    "!screenshot 1.png|thumbnail!",
    "!image.jpg| WIDTH  =  300 , HEIGHT=200!",
    "see [^log file.txt]",
    "text\n----\nmore",
    "+inserted+ and ??citation?? and H~2~O and x^2^",
    "(/) done (x) failed (!) warn",
    "ping [~o.volkov], [~pm@corp.example] and [~j_doe].",
    "{info:title=Heads up}body{info} {{mono}} {% raw %} a__b__c <b> ##x## @[v]",
    "{noformat}```{% x %}```{noformat}",
    "!https://x.example/a b.png|width=300,height=200!",
    "h1. Title\n\nbq. quoted *line*\n\n# one\n## two\n#* mixed\n\n* a\n** b\n*** c",
    "||Key||Value||\n|{{a}}|b [link|http://x.y]|\n|c|!i.png!|",
    "{quote}\nquoted\n_block_\n{quote}\nafter",
    "See PROJ-12, PROJ-13 and https://jira.example.com/browse/PROJ-14 for details.",
    "Steps:\n# open\n# click\n\nExpected: *works*\nActual: -fails-",
)


def random_texts(count: int = 400, seed: int = 20261201) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 30))) for _ in range(count)]


def corpus_texts() -> list[str]:
    return bench_texts(25) + list(PITFALLS) + random_texts()


def load_baseline(ref: str = BASELINE_REF) -> ModuleType:
    """Import ``migrator/mapping/markup.py`` as of ``ref`` (a module of its own, ``baseline_markup``)."""
    source = subprocess.run(
        ["git", "show", f"{ref}:migrator/mapping/markup.py"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    folder = Path(tempfile.mkdtemp(prefix="markup-baseline-"))
    path = folder / "baseline_markup.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("baseline_markup", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot import the baseline converter from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["baseline_markup"] = module
    spec.loader.exec_module(module)
    return module
