"""convert_many: in order, identical to one-by-one conversion, in a pool or in this process."""

from __future__ import annotations

from markup_helpers import USERS

from migrator.mapping.markup import ConverterSpec, MarkupConverter, ReferenceConfig, convert_many

TEXTS = [f"h2. Item {n}\n* open PROJ-{n}\n* ask [~jsmith] and [~ghost]\n!shot{n}.png!" for n in range(40)] + [
    "",
    "plain",
]
REFS = ReferenceConfig.for_system("jira", base_url="https://jira.example.com", project_keys=["PROJ"])


def test_small_inputs_are_converted_in_this_process_exactly_as_one_by_one() -> None:
    spec = ConverterSpec.create("jira", USERS, REFS)
    one_by_one = MarkupConverter("jira", user_login=USERS.get, references=REFS)
    assert convert_many(spec, TEXTS) == [one_by_one.convert(text) for text in TEXTS]


def test_a_process_pool_gives_the_same_results_in_the_same_order() -> None:
    spec = ConverterSpec.create("jira", USERS, REFS)
    sequential = convert_many(spec, TEXTS, workers=1)
    pooled = convert_many(spec, TEXTS, workers=2, chunk_size=7, min_parallel=0)
    assert pooled == sequential
    assert [r.text.splitlines()[0] for r in pooled[:3]] == ["## Item 0", "## Item 1", "## Item 2"]


def test_the_spec_is_hashable_and_resolves_mentions_from_its_map() -> None:
    spec = ConverterSpec.create("markdown", {"jsmith": "ivanov"})
    assert hash(spec) == hash(ConverterSpec.create("markdown", {"jsmith": "ivanov"}))
    assert spec.build().convert("@jsmith").text == "@ivanov"
