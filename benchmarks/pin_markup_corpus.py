"""Pin the baseline Jira converter's output on the corpus into a test fixture.

    python benchmarks/pin_markup_corpus.py                   # tests/fixtures/markup/jira_corpus.json

The fixture is what ``tests/mapping/markup/test_markup_jira_corpus.py`` compares the current converter
with: the speed work must give byte-identical output. Re-run only to pin a *new* baseline on purpose.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from markup_baseline import BASELINE_REF, REPO, USERS, corpus_texts, load_baseline

DEFAULT_OUTPUT = REPO / "tests" / "fixtures" / "markup" / "jira_corpus.json"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ref", default=BASELINE_REF, help="git revision of the baseline converter")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    baseline = load_baseline(args.ref)
    converter = baseline.MarkupConverter("jira", user_login=USERS.get)
    cases = []
    for text in dict.fromkeys(corpus_texts()):  # unique, in order
        result = converter.convert(text)
        cases.append({"text": text, "yfm": result.text, "lossy": result.lossy})
    args.output.parent.mkdir(parents=True, exist_ok=True)
    payload = {"baseline": args.ref, "users": USERS, "cases": cases}
    args.output.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(cases)} cases pinned from {args.ref} into {args.output.relative_to(REPO)}")


if __name__ == "__main__":
    main()
