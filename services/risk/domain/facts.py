"""What each notice tells the risk instrument: its items' values, from the notice's own fields.

Items the notice does not carry stay unknown (the instrument scores them as such); a later
notice or staff's supplement fills them in.
"""

from __future__ import annotations

from shared.events import CourtOrderIngested, InformationSupplemented, ReleaseNoticeIngested

Facts = dict[str, str | int]


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def from_court_order(order: CourtOrderIngested) -> Facts:
    """Intake of community corrections: the offence and the sentence."""
    facts: Facts = {"offence_category": order.offence_category, "sentence_kind": order.sentence_kind}
    if order.person.age_band:
        facts["age_band"] = order.person.age_band
    return facts


def from_release_notice(notice: ReleaseNoticeIngested) -> Facts:
    """Release from prison: the prison's own view of the person (危险性评估)."""
    facts: Facts = {
        "offence_category": notice.offence_category,
        "sentence_kind": "released",
        "reform_performance": notice.reform_performance,
        "prison_risk_rating": notice.prison_risk_rating,
        "three_false": _yes(notice.three_false),
        "serious_illness": _yes(notice.serious_illness),
        "household_residence_separated": _yes(notice.household_residence_separated),
        "deprived_political_rights": _yes(notice.deprived_political_rights),
    }
    if notice.person.age_band:
        facts["age_band"] = notice.person.age_band
    return facts


def from_sanction(kind: str, count: int) -> Facts:
    """A sanction's running count per kind; a revocation proposal is no instrument item."""
    field = {"admonition": "admonitions", "warning": "warnings"}.get(kind)
    return {field: count} if field else {}


def from_supplement(supplement: InformationSupplemented) -> Facts:
    """信息补录 after arrival: the instrument's own items among what was learned (housing is kept
    on the handover, and is no item of this instrument)."""
    learned: Facts = {}
    for item in ("employment", "family_support", "substance_use"):
        value = getattr(supplement, item)
        if value is not None:
            learned[item] = value
    return learned
