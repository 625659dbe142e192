"""Loading the knowledge base: the shipped data loads, and broken data fails with every problem
named (small broken copies of the real data written to tmp_path)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from functions.scan.knowledge.errors import KnowledgeError
from functions.scan.knowledge.loader import DATA_DIR, load_knowledge
from functions.scan.knowledge.taxonomy import RECYCLABLE_MIDDLES

Edit = Callable[[dict[str, Any]], None]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    shutil.copytree(DATA_DIR, root)
    return root


def edit(path: Path, change: Edit) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


def problems_of(root: Path) -> tuple[str, ...]:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(root)
    return caught.value.problems


def item(name: str, middle: str, major: str = "재활용폐기물", **extra: Any) -> dict[str, Any]:
    return {"name": name, "major": major, "middle": middle, **extra}


def test_the_shipped_knowledge_base_loads_with_the_expected_sizes() -> None:
    kb = load_knowledge()
    assert len(kb.items) >= 160
    assert len(kb.tags) >= 75
    assert len(kb.rules) == 18


def test_a_copy_loads_like_the_default(data: Path) -> None:
    assert [i.name for i in load_knowledge(data).items] == [i.name for i in load_knowledge().items]


def test_the_error_is_a_value_error_with_a_readable_message(data: Path) -> None:
    edit(data / "items.yaml", lambda d: d["items"].append(item("캔뭉치", "캔류")))
    with pytest.raises(ValueError, match="캔류"):
        load_knowledge(data)


def test_an_unknown_middle_category_is_named_with_what_the_client_knows(data: Path) -> None:
    edit(data / "items.yaml", lambda d: d["items"].append(item("캔뭉치", "캔류")))
    [problem] = problems_of(data)
    assert "'캔뭉치'" in problem and "'캔류'" in problem and "not in the taxonomy" in problem
    assert all(m in problem for m in RECYCLABLE_MIDDLES)


def test_a_missing_rule_document_is_named_with_every_item_left_without_one(data: Path) -> None:
    (data / "rules" / "paper.yaml").unlink()
    problems = problems_of(data)
    assert "no rule document for '종이' (major '재활용폐기물')" in problems
    assert "item '신문지': no rule document for '종이'" in problems
    assert len(problems) == 1 + sum(1 for i in load_knowledge().items if i.middle == "종이")


def test_every_problem_is_reported_at_once(data: Path) -> None:
    def break_items(d: dict[str, Any]) -> None:
        d["items"].append(item("캔뭉치", "캔류"))
        d["items"].append(item("우유팩", "종이팩"))  # a duplicate name
        d["items"].append(item("쓰레기더미", "쓰레기", major="쓰레기"))

    edit(data / "items.yaml", break_items)
    edit(data / "tags.yaml", lambda d: d["tags"][0].update(applies_to=["하늘"]))
    problems = "\n".join(problems_of(data))
    assert "'캔류'" in problems
    assert "item '우유팩': duplicate item name" in problems
    assert "unknown major category '쓰레기'" in problems
    assert "applies_to names '하늘'" in problems


def test_a_synonym_that_names_two_items_is_rejected(data: Path) -> None:
    edit(
        data / "items.yaml",
        lambda d: d["items"].append(item("새팩", "종이팩", synonyms=["우유 곽"])),
    )
    [problem] = problems_of(data)
    assert problem == "item '새팩': synonym '우유 곽' also names item '우유팩'"


def test_a_one_letter_synonym_is_too_short_to_match_safely(data: Path) -> None:
    edit(data / "items.yaml", lambda d: d["items"][0].update(synonyms=["못"]))
    [problem] = problems_of(data)
    assert "'못' is too short" in problem


def test_an_item_subgroup_must_exist_in_its_rule_document(data: Path) -> None:
    edit(
        data / "items.yaml",
        lambda d: d["items"].append(item("새 상자", "종이", subgroup="없는묶음")),
    )
    [problem] = problems_of(data)
    assert "subgroup '없는묶음'" in problem and "'paper'" in problem


def test_a_reroute_must_lead_to_a_major_or_a_recyclable_middle(data: Path) -> None:
    def bad_reroute(d: dict[str, Any]) -> None:
        tag = next(t for t in d["tags"] if t["kind"] == "reroute")
        tag["reroute_to"] = "소각장"

    edit(data / "tags.yaml", bad_reroute)
    [problem] = problems_of(data)
    assert "reroute_to '소각장'" in problem


def test_a_tag_must_be_consistent_with_its_kind(data: Path) -> None:
    def no_text(d: dict[str, Any]) -> None:
        tag = next(t for t in d["tags"] if t["kind"] == "insufficiency")
        del tag["insufficiency"]

    edit(data / "tags.yaml", no_text)
    [problem] = problems_of(data)
    assert problem.startswith("tags.yaml: tags #") and "insufficiency text" in problem


def test_a_rule_document_for_an_unknown_middle_is_rejected(data: Path) -> None:
    edit(data / "rules" / "plastic.yaml", lambda d: d.update(middle="플라스틱"))
    problems = "\n".join(problems_of(data))
    assert "rule 'plastic': middle category '플라스틱' is not in the taxonomy" in problems
    assert "no rule document for '플라스틱류'" in problems


def test_a_second_document_for_one_category_is_rejected(data: Path) -> None:
    shutil.copy(data / "rules" / "food.yaml", data / "rules" / "food2.yaml")
    edit(data / "rules" / "food2.yaml", lambda d: d.update(key="food2"))
    [problem] = problems_of(data)
    assert problem == "rule 'food2': '음식물류폐기물' already has the rule document 'food'"


def test_a_rule_document_is_named_after_its_key(data: Path) -> None:
    edit(data / "rules" / "metal.yaml", lambda d: d.update(key="metals"))
    [problem] = problems_of(data)
    assert problem == "rules/metal.yaml: key 'metals' differs from the file name"


def test_schema_errors_name_the_file_and_the_field(data: Path) -> None:
    edit(data / "rules" / "vinyl.yaml", lambda d: d.update(icon_steps=["춤추고"]))
    edit(data / "items.yaml", lambda d: d["items"][0].pop("major"))
    problems = "\n".join(problems_of(data))
    assert "rules/vinyl.yaml: icon_steps.0:" in problems
    assert "items.yaml: items #1 (골판지류): major: Field required" in problems


def test_a_not_accepted_destination_must_be_a_category(data: Path) -> None:
    edit(data / "rules" / "food.yaml", lambda d: d["not_accepted"][0].update(instead="쓰레기통"))
    [problem] = problems_of(data)
    assert "goes to '쓰레기통'" in problem


def test_unreadable_files_are_problems_too(data: Path) -> None:
    (data / "tags.yaml").write_text("tags: [unclosed\n", encoding="utf-8")
    (data / "items.yaml").unlink()
    problems = problems_of(data)
    assert any(p.startswith("tags.yaml: not valid YAML") for p in problems)
    assert any(p.startswith("items.yaml: cannot be read") for p in problems)


def test_a_file_without_its_section_is_a_problem(data: Path) -> None:
    (data / "tags.yaml").write_text("codes: []\n", encoding="utf-8")
    assert problems_of(data) == ("tags.yaml: must be a mapping with a 'tags' list",)
