"""Redaction on real sample documents: PII leaves, business data stays, restore is exact."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pytest

from pipelines.model.document import Document
from pipelines.llm.redact import KINDS, Redactor, names_from_document
from pipelines.parse.dispatch import parse_bytes

SAMPLES = Path(__file__).resolve().parents[2] / "data_samples"
EMAILS = sorted((SAMPLES / "emails").glob("*.eml")) + sorted((SAMPLES / "emails").glob("*.msg"))
INVOICES = sorted((SAMPLES / "invoices").glob("*.pdf"))

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w-])(?:\+\d{2}[ \d]{8,14}\d|\(?0\d{3,4}\)? ?\d{3} ?\d{3,4})(?!\d)")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,4})?")
_AMOUNT = re.compile(r"[£€$]?\d{1,3}(?:,\d{3})*\.\d{2}\b")
_DATE = re.compile(r"\b\d{1,2}[/.]\d{1,2}[/.]\d{4}\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2} (?:January|February|March|April|May|June|July|August|September|October|November|December) \d{4}\b")
_INVOICE_NO = re.compile(r"\b(?:SVW-B-\d{4}-\d{6}|AF-\d{4}-\d{4}|RE-\d{4}-\d{5}|SVW-\d{6})\b")


@lru_cache(maxsize=None)
def _parse(path: Path) -> Document:
    return parse_bytes(path.read_bytes(), name=str(path))


def _texts(doc: Document) -> list[str]:
    return [d.text for d in doc.walk() if d.text]


@pytest.mark.parametrize("path", EMAILS + INVOICES, ids=lambda p: p.name)
def test_pii_leaves_business_data_stays_and_restore_is_exact(path: Path) -> None:
    doc = _parse(path)
    names = names_from_document(doc)
    if doc.metadata.get("email", {}).get("from_name"):
        sender = re.sub(r"^(?:Mr|Mrs|Ms|Miss|Dr)\.? ", "", doc.metadata["email"]["from_name"])
        assert sender in names  # every sample's sender is a person
    red = Redactor(names=names)
    for text in _texts(doc):
        out = red.redact(text)
        assert red.restore(out) == text
        assert not [n for n in names if n in out]
        assert not _EMAIL.findall(out), out
        assert not _PHONE.findall(out), _PHONE.findall(out)
        assert not _IBAN.findall(out), _IBAN.findall(out)
        for pat in (_AMOUNT, _DATE, _INVOICE_NO):  # business data survives unchanged
            assert pat.findall(out) == pat.findall(text)
    for placeholder, original in red.mapping.items():
        assert any(original in t for t in _texts(doc)), (placeholder, original)


def test_invoice_counts_and_placeholders() -> None:
    doc = _parse(SAMPLES / "invoices" / "aquaflow_0142.pdf")
    red = Redactor()
    out = red.redact(doc.text)
    assert red.counts == {"email": 1, "phone": 1, "iban": 1, "card": 0, "postcode": 2, "name": 0}
    assert "IBAN: [IBAN_1] BIC: LOYDGB21" in out  # the BIC after a spaced IBAN is not swallowed
    assert red.mapping["[IBAN_1]"] == "GB71 LOYD 3094 5747 2193 05"
    # amounts, dates, invoice/PO/account numbers, sort code and company number are untouched
    for kept in ("AF-2026-0142", "09/01/2026", "08/02/2026", "PO-SVW-55120", "£4,191.24", "1,736.30",
                 "30-94-57", "47219305", "06123987", "GB 284 5512 46", "SEV001"):
        assert kept in out


def test_email_names_salutations_and_signoffs() -> None:
    doc = _parse(SAMPLES / "emails" / "2026-02-10_spa-laundry_re-disputed-charges.eml")
    names = names_from_document(doc)
    assert {"Maureen Fitch", "Daniel Hughes", "Daniel"} <= set(names)
    assert "Credit Control" not in names  # a department's display name is not a person
    assert not any("Severn Vale" in n for n in names)
    red = Redactor(names=names)
    out = red.redact(doc.text)
    for gone in ("Maureen", "Fitch", "Hughes", "Daniel"):
        assert gone not in out
    assert "Cheltenham Spa Laundry Services Ltd" in out and "Severn Vale Water Customer Services" in out
    assert red.restore(out) == doc.text


def test_labelled_and_titled_names() -> None:
    doc = _parse(SAMPLES / "misc" / "new_account_handover_note.txt")
    assert set(names_from_document(doc)) >= {"R. Patel", "D. Allen"}
    red = Redactor(names=names_from_document(doc))
    out = red.redact(doc.text)
    assert "Patel" not in out and "Allen" not in out and "allen@" not in out
    assert "Tewkesbury Riverside Lodge Ltd" in out and "SVW-147733" in out and "09/02/2026" in out


def test_known_names_first_name_and_company_guard() -> None:
    red = Redactor(names=["Jane Smith"])
    text = "Dear Jane,\nJane Smith called about Smith Holdings Ltd. Ms Smith will call back. Jane Smithers too."
    out = red.redact(text)
    assert out == ("Dear [NAME_1],\n[NAME_2] called about Smith Holdings Ltd. Ms [NAME_3] will call back. "
                   "[NAME_4] too.")  # "Jane Smithers" is a person in her own right (a given name and a surname)
    assert red.counts["name"] == 4
    assert red.restore(out) == text
    # a known surname that also names a company: the company stays
    red = Redactor(names=["Sam Marlow", "Marlow"])
    assert red.redact("Marlow said Marlow Brewing Co Ltd is fine. Sam") == "[NAME_1] said Marlow Brewing Co Ltd is fine. [NAME_2]"


def test_restore_tolerates_model_edits_and_keeps_unknown_placeholders() -> None:
    red = Redactor()
    out = red.redact("Write to ann@example.com or call +44 20 7946 0958.")
    assert out == "Write to [EMAIL_1] or call [PHONE_1]."
    assert red.restore("[email_1] / [ EMAIL_1 ] / [Phone 1] / [EMAIL_9]") == \
        "ann@example.com / ann@example.com / +44 20 7946 0958 / [EMAIL_9]"


def test_same_value_same_placeholder_across_calls_and_reserved_placeholders() -> None:
    red = Redactor()
    a = red.redact("ann@example.com and bob@example.com")
    b = red.redact("again bob@example.com; note [EMAIL_3] is literal text")
    assert a == "[EMAIL_1] and [EMAIL_2]"
    assert b == "again [EMAIL_2]; note [EMAIL_3] is literal text"
    c = red.redact("carl@example.com [EMAIL_3]")
    assert c == "[EMAIL_4] [EMAIL_3]"  # a placeholder already in the text is never reused
    assert red.restore(c) == "carl@example.com [EMAIL_3]"
    assert red.counts["email"] == 3


def test_cards_need_luhn_and_ibans_need_checksum() -> None:
    red = Redactor()
    text = ("Card 4111 1111 1111 1111, card 4111-1111-1111-1112, ref 5555555555554444, "
            "IBAN GB82WEST12345698765432, bad IBAN GB82WEST12345698765433, order 1234567890123.")
    out = red.redact(text)
    assert out == ("Card [CARD_1], card 4111-1111-1111-1112, ref [CARD_2], "
                   "IBAN [IBAN_1], bad IBAN GB82WEST12345698765433, order 1234567890123.")


def test_phones_and_postcodes_without_touching_numbers_dates_or_ids() -> None:
    red = Redactor(kinds=("phone", "postcode"))
    text = ("Call 0117 496 0123 or (201) 555-0123 or +49 30 901820. Invoice INV-2026-000123 dated 2026-03-04, "
            "total 1,234.50, company no. 06123987, year 2026, sort code 30-94-57. "
            "Office: 10 Downing St, London SW1A 2AA; NY office: New York, NY 10013-1234; Berlin D-10115.")
    out = red.redact(text)
    assert out == ("Call [PHONE_1] or [PHONE_2] or [PHONE_3]. Invoice INV-2026-000123 dated 2026-03-04, "
                   "total 1,234.50, company no. 06123987, year 2026, sort code 30-94-57. "
                   "Office: 10 Downing St, London [POSTCODE_1]; NY office: New York, NY [POSTCODE_2]; Berlin [POSTCODE_3].")
    assert red.counts == {"phone": 3, "postcode": 3}


def test_kinds_are_selectable_and_validated() -> None:
    red = Redactor(kinds=("email",), names=["Jane Smith"])
    assert red.redact("Jane Smith <jane@example.com>, 0117 496 0123") == "Jane Smith <[EMAIL_1]>, 0117 496 0123"
    assert set(KINDS) == {"email", "phone", "iban", "card", "postcode", "name"}
    with pytest.raises(ValueError):
        Redactor(kinds=("ssn",))


def test_lower_case_postcode_but_not_ordinals() -> None:
    red = Redactor(kinds=("postcode",))
    assert red.redact("The property is 14 Church Street, Tewkesbury, gl20 5pa.") == \
        "The property is 14 Church Street, Tewkesbury, [POSTCODE_1]."
    assert red.redact("meet in room b2 2nd floor") == "meet in room b2 2nd floor"


def test_names_under_data_keys() -> None:
    doc = _parse(SAMPLES / "misc" / "crm_export_2026-03-01.json")
    names = names_from_document(doc)
    assert "Sam Marlow" in names and "Maureen Fitch" in names
    assert not any("Ltd" in n or "Brewing" in n for n in names)  # "displayName": companies are not people
    red = Redactor(names=names)
    out = red.redact(doc.text)
    assert "Sam Marlow" not in out and "Marlow Brewing Co Ltd" in out and "SVW-118734" in out
    assert red.restore(out) == doc.text
