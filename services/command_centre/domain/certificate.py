"""解除社区矫正证明书: the certificate a person gets at the end of a community-correction term
(docs/domain.md §1, "The end of a case"). What it says, from the case's ending (supervision) and
the identity (the exchange's vault); the PDF is drawn in `adapters/certificate_pdf.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

SENTENCES = {"probation": "缓刑", "parole": "假释", "control": "管制", "medical_parole": "暂予监外执行"}
SEX = {"M": "男", "F": "女"}
INDENT = "\u3000\u3000"  # two full-width spaces: a Chinese paragraph's first line


def zh_date(day: date | str) -> str:
    d = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{d.year}年{d.month}月{d.day}日"


@dataclass(frozen=True)
class Certificate:
    title: str
    number: str
    paragraphs: list[str]
    signature: list[str]  # bottom right: the issuer, the office, the date, the seal's place
    footer: str | None


def ending_certificate(ending: dict[str, Any], identity: dict[str, Any], *, issued_on: date) -> Certificate:
    """The certificate's words. `ending` is supervision's `case-ending` answer (with the issuer
    and the office's contact from policy); `identity` the vault's name, 身份证号 and sex."""
    issuer = ending["issuer"]
    office = ending["office"]
    sentence = SENTENCES.get(ending.get("sentence_kind") or "", "社区矫正")
    term = ""
    if ending.get("term_start") and ending.get("term_end"):
        term = f"，社区矫正期限自{zh_date(ending['term_start'])}起至{zh_date(ending['term_end'])}止"
    order = f"经{ending['court']}决定（文书编号{ending['order_no']}）" if ending.get("court") else "依法"
    paragraphs = [
        f"{INDENT}社区矫正对象{identity['name']}，{SEX.get(identity['sex'], '')}，"
        f"公民身份号码{identity['id_number']}。",
        f"{INDENT}该社区矫正对象{order}，适用{sentence}，依法实行社区矫正{term}，"
        f"由{issuer}{office}司法所负责日常监督管理。",
        f"{INDENT}该社区矫正对象矫正期满，依照《中华人民共和国社区矫正法》第四十四条的规定，"
        f"于{zh_date(ending['last_day'])}解除社区矫正。",
    ]
    announced = ending.get("announcement")
    if announced:
        paragraphs.append(f"{INDENT}已于{zh_date(announced['announced_on'])}在{announced['place']}宣告解除社区矫正。")
    paragraphs.append(f"{INDENT}特此证明。")
    return Certificate(
        title="解除社区矫正证明书",
        number=ending["certificate_no"],
        paragraphs=paragraphs,
        signature=[issuer, f"{office}司法所", zh_date(issued_on), "（公章）"],
        footer=ending.get("contact"),
    )


def text_of(certificate: Certificate) -> str:
    """Every character the certificate prints (the renderer checks each against its fonts)."""
    parts = [certificate.title, certificate.number, *certificate.paragraphs]
    return "".join(parts + certificate.signature + [certificate.footer or ""])
