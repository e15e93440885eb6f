"""L6 (docs/security.md): an agency's number is taken once with its content; a ruling's content
includes the proposal it rules on, so the same ruling number sent for a second proposal is other
content (a 409), never a repeat of the first answered and dropped."""

from __future__ import annotations

from datetime import UTC, datetime

from services.exchange.api.views import RulingIn
from services.exchange.domain.ingest import agency_number


def test_the_same_ruling_number_on_another_proposal_is_other_content():
    ruling = RulingIn(ruling="revoked", ruled_at=datetime(2026, 12, 1, tzinfo=UTC), ruling_no="(2026)苏0281刑更1号")
    first = agency_number("ruling", "江阴市人民法院", ruling.ruling_no, ruling, {"proposal_id": "p-1"})
    again = agency_number("ruling", "江阴市人民法院", ruling.ruling_no, ruling, {"proposal_id": "p-1"})
    other = agency_number("ruling", "江阴市人民法院", ruling.ruling_no, ruling, {"proposal_id": "p-2"})
    assert first == again and first.number == other.number and first != other
