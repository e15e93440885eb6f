"""解矫 (docs/domain.md §1, "The end of a case") on a fake unit of work and store, with a fixed
clock: the term's end sends the court, procuratorate and police their notice with the
certificate's number; a revoked case's asks the police for custody; the office announces the end
once, on or after the last day, never dated ahead; the certificate's words and its PDF, rendered
to PNG, in zh-CN with every glyph."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from services.command_centre.adapters.certificate_pdf import DEFAULT_FONTS, FontMissing, lines_of, render
from services.command_centre.domain.certificate import ending_certificate, text_of
from services.supervision import commands as sv_commands
from services.supervision import endings as sv_endings
from services.supervision import handlers as sv_handlers
from services.supervision import programmes as sv_programmes
from services.supervision.adapters.store import SupervisionStore
from shared import staff_steps as steps
from shared.authority import Actor
from shared.errors import Conflict, Forbidden, Refused
from tests.unit.test_supervision_handlers import NOW, incoming, order, timer_of
from tests.unit.test_supervision_handlers import world as handlers_world  # noqa: F401 (a fixture)

OFFICER = Actor("officer-demo", "justice_officer", "澄江街道")
ELSEWHERE = Actor("officer-2", "justice_officer", "南闸街道")
IDENTITY = {"name": "王建国", "id_number": "320281198001011234", "sex": "M"}
ARTEFACTS = Path(__file__).resolve().parents[2] / ".local" / "test-artefacts"


@pytest.fixture
def world(handlers_world):  # noqa: F811
    handlers, uow, store = handlers_world
    commands = replace(handlers, clock=lambda: NOW, store=lambda _uow: cast(SupervisionStore, store))
    return commands, handlers, uow, store


async def serving(world, *, ends_in_days: int) -> tuple[uuid.UUID, dict[str, Any]]:
    """A person whose corrections term ends `ends_in_days` from NOW's county day."""
    commands, handlers, uow, store = world
    person = uuid.uuid4()
    o = order(person, NOW.date() - timedelta(days=365 - ends_in_days))
    async with uow:
        await sv_handlers.on_court_order(handlers, incoming(o, "sps.ingest.court-order"), o, cast(Any, uow))
    return person, store.cases[-1]


def announcement(**changes: Any) -> steps.EndingAnnouncement:
    return steps.EndingAnnouncement(**{"announced_at": NOW - timedelta(hours=1), "place": "澄江街道司法所", **changes})


async def test_the_terms_end_closes_the_case_and_sends_its_ending_with_the_certificates_number(world):
    commands, handlers, uow, store = world
    person, case = await serving(world, ends_in_days=0)
    async with uow:
        await sv_programmes.on_case_end(handlers, timer_of(store, f"case-end:{case['case_id']}"), cast(Any, uow))
    endings = [e.data for _, e in uow.published if e.type == "sps.exchange.case-ending"]
    assert len(endings) == 1
    ending = endings[0]
    assert ending["ending"] == "term_served" and ending["custody"] is False
    assert ending["court"] == "江阴市人民法院" and ending["order_no"] == case["source_ref"].split(":")[2]
    assert ending["certificate_no"] == f"({case['term_end'].year})澄矫解字第{case['case_id'].hex[:8].upper()}号"
    assert ending["person"]["name_masked"] == "王*" and "name" not in ending["person"]  # masked on Kafka
    assert not any(k.startswith(f"case-end:{case['case_id']}") for k in store.timers)


async def test_a_revoked_case_asks_the_police_for_custody_and_has_no_certificate(world):
    commands, handlers, uow, store = world
    person, case = await serving(world, ends_in_days=100)
    async with uow:
        await sv_programmes.close_case(
            handlers, cast(Any, uow), case["case_id"], "revoked", "法院裁定撤销", "江阴市人民法院", NOW
        )
        await sv_programmes.close_case(
            handlers, cast(Any, uow), case["case_id"], "revoked", "again", None, NOW
        )  # no second
    endings = [e.data for _, e in uow.published if e.type == "sps.exchange.case-ending"]
    assert len(endings) == 1
    assert endings[0]["ending"] == "revoked" and endings[0]["custody"] is True
    assert endings[0].get("certificate_no") is None
    with pytest.raises(Conflict, match="not been served"):  # no certificate for a revoked term
        await sv_endings.ending_of(commands, cast(Any, uow), OFFICER, person)


async def test_a_transfer_out_of_the_county_tells_them_where_to_and_a_transfer_inside_moves_the_case(world):
    commands, handlers, uow, store = world
    person, case = await serving(world, ends_in_days=100)
    inside = steps.Transfer(to_office="南闸街道", reason="迁居南闸")
    with pytest.raises(Forbidden):  # the county bureau decides
        await sv_commands.transfer_case(commands, cast(Any, uow), OFFICER, person, inside)
    county = Actor("supervisor-demo", "supervisor", "county")
    commands.offices = frozenset({"澄江街道", "南闸街道"})
    with pytest.raises(Refused, match="not one of"):
        await sv_commands.transfer_case(
            commands, cast(Any, uow), county, person, inside.model_copy(update={"to_office": "上海"})
        )
    async with uow:
        moved = await sv_commands.transfer_case(commands, cast(Any, uow), county, person, inside)
    assert (moved.from_office, moved.to_office) == ("澄江街道", "南闸街道") and case["jurisdiction"] == "南闸街道"
    assert uow.types()[-1] == "sps.supervision.case-transferred"
    out = steps.Close(outcome="transferred", reason="迁居外省", to_county="无锡市梁溪区司法局")
    async with uow:
        await sv_commands.close_case(commands, cast(Any, uow), county, person, out)
    (ending,) = [e.data for _, e in uow.published if e.type == "sps.exchange.case-ending"]
    assert ending["ending"] == "transferred_out" and ending["to_county"] == "无锡市梁溪区司法局"
    assert ending["custody"] is False and ending.get("certificate_no") is None and ending["office"] == "南闸街道"


async def test_the_end_is_announced_once_on_or_after_the_last_day(world):
    commands, handlers, uow, store = world
    early, _ = await serving(world, ends_in_days=3)
    with pytest.raises(Conflict, match="not been served"):
        await sv_endings.announce_ending(commands, cast(Any, uow), OFFICER, early, announcement())
    person, case = await serving(world, ends_in_days=0)  # today is the last day
    with pytest.raises(Refused, match="future"):
        await sv_endings.announce_ending(
            commands, cast(Any, uow), OFFICER, person, announcement(announced_at=NOW + timedelta(hours=1))
        )
    with pytest.raises(Refused, match="on or after"):
        await sv_endings.announce_ending(
            commands, cast(Any, uow), OFFICER, person, announcement(announced_at=NOW - timedelta(days=2))
        )
    with pytest.raises(Forbidden):
        await sv_endings.announce_ending(commands, cast(Any, uow), ELSEWHERE, person, announcement())
    async with uow:
        data = await sv_endings.announce_ending(
            commands, cast(Any, uow), OFFICER, person, announcement(note="本人到场")
        )
    assert data.announced_by == "officer-demo" and data.case_id == case["case_id"]
    assert uow.types()[-1] == "sps.supervision.ending-announced"
    assert any(t["event_type"] == "sps.supervision.ending-announced" for t in store.timeline)
    with pytest.raises(Conflict, match="already announced"):
        await sv_endings.announce_ending(commands, cast(Any, uow), OFFICER, person, announcement())
    ending = await sv_endings.ending_of(commands, cast(Any, uow), OFFICER, person)
    assert ending["announcement"]["place"] == "澄江街道司法所"
    assert ending["announcement"]["announced_on"] == NOW.date().isoformat()
    assert ending["issuer"] == "江阴市司法局" and ending["last_day"] == case["term_end"].isoformat()


def certificate_for(ending: dict[str, Any], identity: dict[str, Any] = IDENTITY):
    return ending_certificate(ending, identity, issued_on=date(2026, 12, 10))


ENDING = {
    "office": "澄江街道",
    "court": "江阴市人民法院",
    "order_no": "(2025)苏0281刑初123号",
    "sentence_kind": "probation",
    "term_start": "2025-12-10",
    "term_end": "2026-12-10",
    "last_day": "2026-12-10",
    "certificate_no": "(2026)澄矫解字第1A2B3C4D号",
    "issuer": "江阴市司法局",
    "contact": "澄江街道司法所 0510-86000000",
    "announcement": {"announced_on": "2026-12-10", "place": "澄江街道司法所"},
}


def test_the_certificate_says_who_what_term_and_when_in_zh_cn():
    certificate = certificate_for(ENDING)
    text = text_of(certificate)
    for expected in (
        "解除社区矫正证明书",
        "(2026)澄矫解字第1A2B3C4D号",
        "社区矫正对象王建国，男，公民身份号码320281198001011234",
        "经江阴市人民法院决定（文书编号(2025)苏0281刑初123号），适用缓刑",
        "社区矫正期限自2025年12月10日起至2026年12月10日止",
        "《中华人民共和国社区矫正法》第四十四条",
        "于2026年12月10日解除社区矫正",
        "已于2026年12月10日在澄江街道司法所宣告解除社区矫正",
        "江阴市司法局",
        "澄江街道司法所",
        "2026年12月10日",
    ):
        assert expected in text, expected


@pytest.mark.fonts
def test_the_certificate_pdf_renders_to_png_with_every_glyph():
    import pypdfium2 as pdfium

    pdf = render(certificate_for(ENDING))
    assert pdf.startswith(b"%PDF-")
    document = pdfium.PdfDocument(pdf)
    assert len(document) == 1
    page = document[0]
    printed = page.get_textpage().get_text_range()
    squeezed = "".join(printed.split())
    for line in certificate_for(ENDING).paragraphs + ["解除社区矫正证明书"]:
        assert "".join(line.split()) in squeezed  # every character came out as itself: no missing glyphs
    image = page.render(scale=2).to_pil().convert("L")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    image.save(ARTEFACTS / "ending-certificate.png")  # looked at by a person; see docs/console.md
    width, height = image.size
    title = image.crop((0, int(height * 0.08), width, int(height * 0.16)))
    assert title.getextrema()[0] < 80  # the title is drawn, dark on white


@pytest.mark.fonts
def test_a_character_no_font_has_refuses_the_print_rather_than_drop_it():
    rare = {**IDENTITY, "name": "王\U0002a6a5"}  # a 生僻字 outside the fonts (CJK Extension B)
    with pytest.raises(FontMissing, match="U\\+2A6A5"):
        render(certificate_for(ENDING, rare))
    with pytest.raises(FontMissing, match="no certificate font"):
        render(certificate_for(ENDING), ("/nowhere/font.ttc#0",))
    assert DEFAULT_FONTS  # the default is Debian's fonts-noto-cjk


def test_lines_break_between_characters_keep_numbers_whole_and_never_start_with_a_comma():
    def measure(text: str) -> float:
        return float(len(text))

    lines = lines_of("公民身份号码320281198001011234，男。", 8, measure)
    assert "".join(lines) == "公民身份号码320281198001011234，男。"
    assert any("320281198001011234" in line for line in lines)  # the number stays whole
    assert not any(line[0] in "，。" for line in lines)  # punctuation hangs, never starts a line
    assert lines_of("一二三四五六", 3, measure) == ["一二三", "四五六"]
