"""Tricky personal data never reaches the LLM: names in running prose (a given-name list shipped
as a data file, no download), IBANs in any case and spacing, obfuscated e-mails; business text
(amounts, references, company and place names) survives. The corpus is invented
(pii_corpus.yaml); `benchmarks/redact.py` prints recall and the false-redaction rate on it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipelines.llm.redact import Redactor, names_from_document
from pipelines.parse.dispatch import parse_bytes
from pipelines.run.direct import run
from tests.llm.test_extractor import INVOICE, _mapper, _policy, _settings, _write, answering
from tests.support.openai_server import OpenAIServer

CORPUS = yaml.safe_load(Path(__file__).with_name("pii_corpus.yaml").read_text(encoding="utf-8"))


def _redact(text: str) -> tuple[str, Redactor]:
    doc = parse_bytes(text.encode("utf-8"), name="case.txt")
    red = Redactor(names=names_from_document(doc))
    return red.redact(text), red


@pytest.mark.parametrize("case", CORPUS["pii"], ids=lambda c: c["text"][:40])
def test_personal_data_is_redacted_and_restored(case: dict) -> None:
    out, red = _redact(case["text"])
    for pii in case["find"]:
        assert pii not in out, out
    assert red.restore(out) == case["text"]


@pytest.mark.parametrize("case", CORPUS["keep"], ids=lambda c: c["text"][:40])
def test_business_text_survives(case: dict) -> None:
    out, _ = _redact(case["text"])
    for keep in case["keep"]:
        assert keep in out, out


@pytest.fixture
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAPPER_LLM_API_KEY", "sk-test")


@pytest.mark.usefixtures("_api_key")
def test_what_the_endpoint_receives_holds_none_of_it(tmp_path: Path) -> None:
    text = INVOICE.replace("Subtotal:", "Note: Sarah Jennings from our site team met Tom Baxter on 2 March.\n"
                           "Refunds to gb33 bukb 2020 1555 5555 55; questions to jane dot doe at example dot com "
                           "or jane[at]example[.]com.\n\nSubtotal:")
    path = _write(tmp_path, "kestrel.txt", text)
    with OpenAIServer(answering({})) as server:
        run([path], _settings(tmp_path), mapper=_mapper(_policy(server)))
    [req] = server.chat_requests()
    sent = req.user_text
    for pii in ("Sarah", "Jennings", "Tom Baxter", "gb33 bukb", "jane dot doe", "jane[at]example", "Jane Whitlock"):
        assert pii not in sent, pii
    assert "[IBAN_" in sent or "[EMAIL_" in sent  # the lines were sent, redacted
