"""Test data: valid 身份证号 and court orders for Jiangyin towns."""

from __future__ import annotations

import random
import uuid

from shared.identity import check_digit


def random_id_number(rng: random.Random | None = None) -> str:
    rng = rng or random.Random()
    body = f"320281{rng.randint(1950, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return body + check_digit(body)


def court_order(town: str = "澄江街道", **over) -> dict:
    order = {
        "order_no": f"(2026)苏0281刑初{uuid.uuid4().hex[:8]}号",
        "court": "江阴市人民法院",
        "person": {
            "name": "王五",
            "id_number": random_id_number(),
            "sex": "M",
            "phone": "13900000000",
            "residence": {"town": town, "address": "某路1号"},
        },
        "sentence_kind": "probation",
        "offence": "盗窃罪",
        "offence_category": "property",
        "term_start": "2026-12-01",
        "term_end": "2027-11-30",
        "electronic_monitoring": True,
        "permitted_area": "jiangyin",
        "exclusion_zones": [],
    }
    order.update(over)
    return order
