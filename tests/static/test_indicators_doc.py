"""docs/indicators.md says what every figure counts, in the same words as the console."""

from __future__ import annotations

from pathlib import Path

from services.command_centre.domain.indicators import CATALOGUE

DOC = (Path(__file__).resolve().parents[2] / "docs" / "indicators.md").read_text(encoding="utf-8")


def test_every_figure_is_defined_in_the_doc_as_in_the_console():
    missing = [
        i.key
        for i in CATALOGUE
        if f"| `{i.key}` | {i.zh} | {i.en} | {i.definition_zh} | {i.definition_en} |" not in DOC
    ]
    assert missing == []


def test_every_figure_has_a_definition_in_both_languages():
    assert all(i.definition_zh.strip() and i.definition_en.strip() for i in CATALOGUE)
    assert len({i.key for i in CATALOGUE}) == len(CATALOGUE)
