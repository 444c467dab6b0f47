"""Markup conversion per text: the Jira converter before and after its speed work, and every markup.

    python benchmarks/bench_markup.py                      # 200 issues' texts, 5 rounds
    python benchmarks/bench_markup.py --issues 1000 --rounds 7 --pool 2
    python benchmarks/bench_markup.py --before main        # per construct: this tree against main

"old" is the single-module converter as of ``markup_baseline.BASELINE_REF`` (imported from git into
this process), "new" is ``migrator.mapping.markup``; both convert the texts ``bench_validate.py``
generates (1 description + 3 comments per issue) and the Jira corpus. Times are CPU time of this
process (``time.process_time``), best of the rounds, old and new interleaved, so other load on the
machine disturbs them least. The outputs are compared: the run fails if any text differs.
``--pool N`` also times ``convert_many`` with N worker processes on a larger set.

"per construct" times common Jira constructs one by one (µs per text, CPU time, best of the rounds)
with the converter validate builds (``ConverterSpec.create("jira", {}, None).build()``); with
``--before REF`` the same cases are timed, in a child process, with ``migrator`` as of that git
revision (``git archive``), and the outputs are compared.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

from markup_baseline import BASELINE_REF, REPO, USERS, bench_texts, corpus_texts, load_baseline

from migrator.mapping.markup import ConverterSpec, MarkupConverter, convert_many

OTHER_MARKUPS: dict[str, list[Any]] = {
    "plain": ["a plain comment with 3 words", "line *one*\nline #2 and {braces}"],
    "markdown": ["## Steps\n- open page\n- click **Save**\n```\nprint(1)\n```", "thanks @jsmith, see #12"],
    "html": ["<h2>Steps</h2><ul><li>open page</li><li>click <b>Save</b></li></ul><pre>print(1)</pre>"],
    "textile": ["h2. Steps\n\n* open page\n* click *Save*\n\n<pre><code class=\"python\">print(1)</code></pre>"],
    "adf": [
        json.dumps(
            {
                "type": "doc",
                "version": 1,
                "content": [
                    {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Steps"}]},
                    {"type": "paragraph", "content": [{"type": "text", "text": "click Save", "marks": [{"type": "strong"}]}]},
                ],
            }
        )
    ],
}  # fmt: skip


CONSTRUCTS = {
    "heading": "h2. Steps",
    "list item": "* open page 5",
    "two list items": "* open page 5\n* click *Save*",
    "numbered list": "# one\n# two",
    "code": "{code}print(5){code}",
    "link and bold": "Some text with a [link|http://x.y] and *bold*.",
    "table": "||a||b||\n|1|2|",
    "table with a link": "||Key||Value||\n|a|[link|http://x.y]|",
    "mention": "ping [~jsmith], please",
    "aliased mention": "cc [Al|~accountid:5b10a2844c20165700ede21g]",
    "image": "!screenshot.png!",
    "image with attributes": "!screenshot.png|width=300,height=200!",
    "attachment": "see [^log.txt]",
    "panel": "{panel:title=T}\nh3. Note\n* one\n{panel}",
    "bench description": "h2. Steps\n* open page 5\n* click *Save*\n{code}print(5){code}",
    "bench comment": "comment 0 with *bold*; and a semicolon",
}
# Run in a child process whose ``migrator`` is another revision's: prints {case: [µs, output]}.
_CONSTRUCT_TIMER = """
import json, sys, time
from migrator.mapping.markup import ConverterSpec
cases, rounds = json.loads(sys.argv[1]), int(sys.argv[2])
converter = ConverterSpec.create("jira", {}, None).build()
result = {}
for name, text in cases.items():
    for _ in range(50):
        converter.convert(text)
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(200):
            converter.convert(text)
        best = min(best, (time.process_time() - start) / 200 * 1e6)
    result[name] = [best, converter.convert(text).text]
print(json.dumps(result))
"""


def construct_times(rounds: int, ref: str | None = None) -> dict[str, tuple[float, str]]:
    """µs per text and output of each construct, with ``migrator`` of this tree or of git ``ref``."""
    with tempfile.TemporaryDirectory(prefix="bench-markup-") as tree:
        path = [str(REPO)]
        if ref is not None:
            archive = subprocess.run(
                ["git", "archive", ref, "migrator"], cwd=REPO, check=True, capture_output=True
            ).stdout
            subprocess.run(["tar", "-x", "-C", tree], input=archive, check=True)
            path = [tree]
        code = f"import sys; sys.path[:0] = {path!r}\n" + _CONSTRUCT_TIMER
        out = subprocess.run(
            [sys.executable, "-c", code, json.dumps(CONSTRUCTS), str(rounds)],
            cwd=tree,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    return {name: (float(us), text) for name, (us, text) in json.loads(out).items()}


def print_constructs(rounds: int, before_ref: str | None) -> int:
    """Prints the per-construct table; returns how many outputs differ from ``before_ref``'s."""
    after = construct_times(rounds)
    before = construct_times(rounds, before_ref) if before_ref else {}
    header = f"{'per construct':<22} {'µs/text':>9}"
    if before:
        header += f" {before_ref + ' µs':>12} {'speed-up':>9}"
    print(f"\n{header}")
    different = 0
    for name, (us, text) in after.items():
        line = f"{name:<22} {us:>9.0f}"
        if name in before:
            old_us, old_text = before[name]
            same = old_text == text
            different += not same
            line += f" {old_us:>12.0f} {old_us / us:>8.2f}x" + ("" if same else "  OUTPUT DIFFERS")
        print(line)
    return different


def per_text_ms(convert: Callable[[Any], Any], texts: Sequence[Any]) -> float:
    start = time.process_time()
    for text in texts:
        convert(text)
    return (time.process_time() - start) / len(texts) * 1000


def best_of(
    rounds: int, old: Callable[[Any], Any], new: Callable[[Any], Any], texts: Sequence[Any]
) -> tuple[float, float]:
    for text in texts[:20]:  # warm both (grammar caches, imports)
        old(text)
        new(text)
    old_best = new_best = float("inf")
    for _ in range(rounds):
        old_best = min(old_best, per_text_ms(old, texts))
        new_best = min(new_best, per_text_ms(new, texts))
    return old_best, new_best


def compare_outputs(old: Any, new: MarkupConverter, texts: Sequence[str]) -> int:
    different = 0
    for text in texts:
        before, after = old.convert(text), new.convert(text)
        if (before.text, before.lossy) != (after.text, after.lossy):
            different += 1
    return different


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--issues", type=int, default=200, help="issues whose texts are converted (4 texts each)"
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline-ref", default=BASELINE_REF, help="git revision of the old converter")
    parser.add_argument("--pool", type=int, default=0, help="also time convert_many with this many processes")
    parser.add_argument("--before", help="git revision to time the constructs against (e.g. main)")
    args = parser.parse_args()

    baseline = load_baseline(args.baseline_ref)
    old = baseline.MarkupConverter("jira", user_login=USERS.get)
    new = MarkupConverter("jira", user_login=USERS.get)
    texts = bench_texts(args.issues)
    corpus = corpus_texts()

    different = compare_outputs(old, new, texts + corpus)
    print(f"identical output: {len(texts) + len(corpus) - different} of {len(texts) + len(corpus)} texts")

    print(f"{'jira texts':<34} {'old ms/text':>11} {'new ms/text':>11} {'speed-up':>9}")
    samples = {
        "bench_validate texts (all)": texts,
        "  descriptions": texts[::4],
        "  comments": [t for i, t in enumerate(texts) if i % 4],
        "corpus (pitfalls + random)": corpus,
    }
    for label, sample in samples.items():
        before, after = best_of(args.rounds, old.convert, new.convert, sample)
        print(f"{label:<34} {before:>11.3f} {after:>11.3f} {before / after:>8.2f}x")

    print(f"\n{'other markups':<34} {'ms/text':>11}")
    for markup, sample in OTHER_MARKUPS.items():
        converter = MarkupConverter(markup, user_login=USERS.get)
        repeated = sample * 50
        _, after = best_of(args.rounds, converter.convert, converter.convert, repeated)
        print(f"{markup:<34} {after:>11.3f}")

    if args.pool:
        many = bench_texts(max(args.issues, 2500))
        spec = ConverterSpec.create("jira", USERS)
        start = time.perf_counter()
        sequential = convert_many(spec, many, workers=1)
        one = time.perf_counter() - start
        start = time.perf_counter()
        pooled = convert_many(spec, many, workers=args.pool, min_parallel=0)
        spread = time.perf_counter() - start
        same = "identical" if pooled == sequential else "DIFFERENT"
        print(
            f"\nconvert_many, {len(many):,} texts: 1 process {one:.2f} s, {args.pool} processes {spread:.2f} s "
            f"({one / spread:.2f}x wall clock, {same} results)"
        )
    constructs_different = print_constructs(args.rounds, args.before)
    if different:
        sys.exit(f"{different} texts convert differently from {args.baseline_ref}")
    if constructs_different:
        sys.exit(f"{constructs_different} constructs convert differently from {args.before}")


if __name__ == "__main__":
    main()
