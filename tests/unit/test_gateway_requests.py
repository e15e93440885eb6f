import pytest
from pydantic import ValidationError

from services.exchange.domain.clients import AGENCY_SCOPES, demo_clients
from services.exchange.domain.requests import CourtOrderIn, LocationBatch
from shared.secrets import verify_secret

ORDER = {
    "order_no": "(2026)苏0281刑初123号",
    "court": "江阴市人民法院",
    "person": {
        "name": "张三",
        "id_number": "11010519491231002X",
        "sex": "M",
        "phone": "13800000000",
        "residence": {"town": "澄江街道", "address": "…"},
    },
    "sentence_kind": "probation",
    "offence": "盗窃罪",
    "offence_category": "property",
    "term_start": "2026-12-01",
    "term_end": "2027-11-30",
    "electronic_monitoring": True,
    "permitted_area": "jiangyin",
    "exclusion_zones": [
        {
            "name": "受害人住所",
            "polygon": {
                "type": "Polygon",
                "coordinates": [[[120.28, 31.90], [120.29, 31.90], [120.29, 31.91], [120.28, 31.91], [120.28, 31.90]]],
            },
        }
    ],
    "extra_field": "welcome",
}


def fields(exc: ValidationError) -> set[str]:
    return {".".join(str(p) for p in e["loc"]) for e in exc.errors()}


def test_contract_example_is_accepted():
    order = CourtOrderIn.model_validate(ORDER)
    assert order.person.id_number == "11010519491231002X"


def test_wrong_check_digit_names_the_field():
    bad = {**ORDER, "person": {**ORDER["person"], "id_number": "110105194912310021"}}
    with pytest.raises(ValidationError) as exc:
        CourtOrderIn.model_validate(bad)
    assert fields(exc.value) == {"person.id_number"}
    assert "check digit" in str(exc.value)


def test_missing_and_wrong_fields_are_each_named():
    bad = {k: v for k, v in ORDER.items() if k != "court"} | {"sentence_kind": "prison", "term_end": "2026-01-01"}
    with pytest.raises(ValidationError) as exc:
        CourtOrderIn.model_validate(bad)
    assert {"court", "sentence_kind"} <= fields(exc.value)


def test_location_batches_are_bounded_and_checked():
    fix = {
        "person_id": "07b8c457-9874-8847-9e4c-bbe58aa29a0b",
        "device_id": "EM-1",
        "lat": 31.9,
        "lon": 120.3,
        "accuracy_m": 10,
        "recorded_at": "2026-12-02T08:00:00Z",
    }
    assert len(LocationBatch.model_validate({"fixes": [fix] * 1000}).fixes) == 1000
    with pytest.raises(ValidationError):
        LocationBatch.model_validate({"fixes": [fix] * 1001})
    with pytest.raises(ValidationError) as exc:
        LocationBatch.model_validate({"fixes": [{**fix, "lat": 200}]})
    assert fields(exc.value) == {"fixes.0.lat"}
    with pytest.raises(ValidationError):  # a time without a zone is ambiguous
        LocationBatch.model_validate({"fixes": [{**fix, "recorded_at": "2026-12-02T08:00:00"}]})


def test_demo_clients_have_only_their_agency_scopes_and_hashed_secrets():
    clients = demo_clients()
    assert set(clients) == {f"{a}-demo" for a in AGENCY_SCOPES}
    for cid, client in clients.items():
        assert client.scopes == AGENCY_SCOPES[client.agency]
        assert "secret" not in client.secret_hash
        assert verify_secret(f"{cid}-secret", client.secret_hash)
        assert not verify_secret("wrong", client.secret_hash)


def test_age_band_from_the_birth_date_in_the_id_number():
    from datetime import date

    from services.exchange.domain.ingest import age_band_of

    assert age_band_of("11010519491231002X", date(2026, 11, 26)) == "50+"
    assert age_band_of("320281200201011234", date(2026, 11, 26)) == "<25"
    assert age_band_of("320281200111271234", date(2026, 11, 26)) == "<25"  # 24, the day before the birthday
    assert age_band_of("320281200111261234", date(2026, 11, 26)) == "25-34"  # 25 on the day


def test_an_orders_monitoring_device_comes_only_with_electronic_monitoring():
    fitted = CourtOrderIn.model_validate({**ORDER, "electronic_monitoring": True, "device_id": "EM-0001"})
    assert fitted.device_id == "EM-0001"
    with pytest.raises(ValidationError, match="device_id is given without electronic_monitoring"):
        CourtOrderIn.model_validate({**ORDER, "electronic_monitoring": False, "device_id": "EM-0001"})
