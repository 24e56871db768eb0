"""The review web app over HTTP (Flask test client) on a KB built by the real pipeline.

The KB: two invoices of a supplier layout no shipped rule knows (tests/fixtures/
learning_supplier: both go to review, invoice number missing, total wrong) and a note whose
name and text carry HTML. Each test gets its own copy of the KB and of mappings/.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines.config import Settings
from pipelines.review.documents import load_document
from pipelines.review.store import ReviewStore
from pipelines.review.web import create_app
from pipelines.review.web.auth import (
    AuthConfig, AuthConfigError, Reviewer, check_bind, is_loopback, load_auth, token_digest,
)
from tests.support.shipped import MAPPINGS

ROOT = Path(__file__).resolve().parents[2]
KESTREL = ROOT / "tests" / "fixtures" / "learning_supplier"
SCRIPT_NAME = "note_<img src=x onerror=alert(1)>.txt"
SCRIPT_TEXT = 'Customer note 😀\nPlease call <script>alert("pwned")</script> back & soon.\nAccount ZX-99 👍🏽 ref Q-7\n'
ALICE_TOKEN = "alice-token-0123456789abcdef"
BOB_TOKEN = "bob-token-0123456789abcdef"
READER_TOKEN = "reader-token-0123456789abcdef"
SUPPORT_TOKEN = "support-token-0123456789abcdef"


def build_learning_kb(root: Path) -> Path:
    """The pipeline over the two Kestrel invoices and the HTML-laden note; returns the KB root."""
    from pipelines.run.direct import run

    inbox = root / "inbox"
    inbox.mkdir(parents=True)
    (inbox / SCRIPT_NAME).write_text(SCRIPT_TEXT, encoding="utf-8")
    kb = root / "kb"
    paths = [KESTREL / "kestrel_01.pdf", KESTREL / "kestrel_02.pdf", inbox / SCRIPT_NAME]
    summary = run(paths, Settings(kb_root=kb, schemas_dir=ROOT / "schemas", mappings_dir=MAPPINGS,
                                  raw_dir=None, workers=0), batch_id="web")
    assert summary.outcomes["review"] == 3, summary.as_dict()
    return kb


def private_settings(built: Path, tmp: Path) -> Settings:
    """A private copy of the built KB and of mappings/ (promotion writes there)."""
    shutil.copytree(built, tmp / "kb")
    shutil.copytree(MAPPINGS, tmp / "mappings")
    return Settings(kb_root=tmp / "kb", schemas_dir=ROOT / "schemas", mappings_dir=tmp / "mappings",
                    raw_dir=None, workers=0)


@pytest.fixture(scope="module")
def built_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_learning_kb(tmp_path_factory.mktemp("web_kb"))


@pytest.fixture
def settings(built_kb: Path, tmp_path: Path) -> Settings:
    return private_settings(built_kb, tmp_path)


def item_of(settings: Settings, source: str) -> str:
    items = ReviewStore(settings.kb_root).items(status=None, source=source)
    assert len(items) == 1, [i.source_path for i in items]
    return items[0].review_id


def local_client(settings: Settings, name: str = "alice"):
    app = create_app(settings, AuthConfig(local_reviewer=Reviewer(name)), secret_key=b"test-secret")
    return app.test_client()


def token_auth(tmp: Path) -> AuthConfig:
    """The documented config format: tokens from the environment or as SHA-256 digests."""
    path = tmp / "auth" / "reviewers.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(
        "reviewers:\n"
        "  - {name: alice, token_env: T_ALICE, role: reviewer}\n"
        "  - {name: bob, token_env: T_BOB, role: admin}\n"
        f"  - {{name: reader, token_sha256: {token_digest(READER_TOKEN)}, role: read_only}}\n"
        "  - {name: sam, token_env: T_SAM, role: reviewer, schemas: [support_case]}\n", encoding="utf-8")
    return load_auth(path, env={"T_ALICE": ALICE_TOKEN, "T_BOB": BOB_TOKEN, "T_SAM": SUPPORT_TOKEN})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def csrf_of(body: bytes) -> str:
    m = re.search(rb'name="csrf" value="([^"]+)"', body)
    assert m, "no CSRF token in the page"
    return m.group(1).decode()


def spans(settings: Settings, review_id: str, *values: str) -> list[tuple[int, int]]:
    text = load_document(settings, ReviewStore(settings.kb_root).get(review_id).document_id).text
    out = []
    for v in values:
        i = text.find(v)
        assert i >= 0 and text.find(v, i + 1) < 0, v
        out.append((i, i + len(v)))
    return out


def correction_form(csrf: str, version: int, **fields: tuple[str, int | None, int | None]) -> dict[str, str]:
    form = {"csrf": csrf, "version": str(version)}
    for name, (value, start, end) in fields.items():
        form[f"value.{name}"] = value
        form[f"start.{name}"] = "" if start is None else str(start)
        form[f"end.{name}"] = "" if end is None else str(end)
    return form


# ---- authentication and roles --------------------------------------------------------------------


def test_localhost_without_tokens_is_the_local_reviewer(settings: Settings) -> None:
    client = local_client(settings, "carol")
    page = client.get("/queue")
    assert page.status_code == 200 and b"carol" in page.data and b"kestrel_01.pdf" in page.data
    rid = item_of(settings, "kestrel_02")
    item = client.get(f"/items/{rid}")
    resp = client.post(f"/items/{rid}/reject", data={"csrf": csrf_of(item.data), "version": "0", "reason": "duplicate"})
    assert resp.status_code == 302
    [decision] = ReviewStore(settings.kb_root).decisions(rid)
    assert (decision.reviewer, decision.action, decision.reason) == ("carol", "reject", "duplicate")


def test_without_tokens_only_loopback_clients_and_hosts_are_served(settings: Settings) -> None:
    client = local_client(settings)
    assert client.get("/queue", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 403
    # a page elsewhere that rebinds its DNS name to 127.0.0.1 still sends its own Host
    assert client.get("/queue", headers={"Host": "evil.example"}).status_code == 403
    assert client.get("/queue", headers={"Host": "127.0.0.1:8765"}).status_code == 200
    assert is_loopback("[::1]:8765") and is_loopback("localhost") and not is_loopback("0.0.0.0")


def test_binding_beyond_localhost_needs_tokens(settings: Settings, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # no reviewers.yaml here
    local = load_auth(None, env={"MAPPER_REVIEWER": "dana"})
    assert local.local_reviewer == Reviewer("dana") and not local.requires_token
    with pytest.raises(AuthConfigError, match="refusing to serve on 0.0.0.0"):
        check_bind("0.0.0.0", local)
    check_bind("127.0.0.1", local)
    check_bind("0.0.0.0", token_auth(tmp_path))

    from pipelines.review.serve_cli import serve

    result = CliRunner().invoke(serve, ["--host", "0.0.0.0", "--kb", str(settings.kb_root)],
                                env={"MAPPER_REVIEWERS": None, "MAPPER_REVIEW_TOKEN": None})
    assert result.exit_code != 0 and "refusing to serve on 0.0.0.0" in result.output


def test_tokens_bearer_and_login_cookie(settings: Settings, tmp_path: Path) -> None:
    app = create_app(settings, token_auth(tmp_path), secret_key=b"test-secret")
    client = app.test_client()
    anonymous = client.get("/queue")
    assert anonymous.status_code == 401 and b'name="token"' in anonymous.data
    assert b"kestrel" not in anonymous.data
    assert client.get("/queue", headers=bearer("wrong-token-0123456789")).status_code == 401
    assert client.get("/queue", headers={"Authorization": f"Basic {ALICE_TOKEN}"}).status_code == 401
    ok = client.get("/queue", headers=bearer(ALICE_TOKEN))
    assert ok.status_code == 200 and b"alice" in ok.data

    login_page = client.get("/login")
    bad = client.post("/login", data={"csrf": csrf_of(login_page.data), "token": "nope-nope-nope-nope"})
    assert bad.status_code == 401
    resp = client.post("/login", data={"csrf": csrf_of(bad.data), "token": BOB_TOKEN, "next": "//evil.example/x"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/queue"  # never an off-site redirect
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and BOB_TOKEN not in cookie
    page = client.get("/queue")
    assert page.status_code == 200 and b"bob" in page.data
    client.post("/logout", data={"csrf": csrf_of(page.data)})
    assert client.get("/queue").status_code == 401


def test_read_only_sees_but_cannot_act(settings: Settings, tmp_path: Path) -> None:
    client = create_app(settings, token_auth(tmp_path)).test_client()
    rid = item_of(settings, "kestrel_01")
    page = client.get(f"/items/{rid}", headers=bearer(READER_TOKEN))
    assert page.status_code == 200 and b"KFC/26/0403" in page.data  # the document is shown
    for marker in (b'id="accept-form"', b'id="reject-form"', b'id="save-correction"', b'name="value.'):
        assert marker not in page.data
    for action in ("accept", "reject", "correct", "propose"):
        resp = client.post(f"/items/{rid}/{action}", headers=bearer(READER_TOKEN), data={"version": "0", "reason": "x"})
        assert resp.status_code == 403, action
    assert ReviewStore(settings.kb_root).decisions(rid) == []


def test_schema_allow_list_filters_the_queue_and_hides_items(settings: Settings, tmp_path: Path) -> None:
    client = create_app(settings, token_auth(tmp_path)).test_client()
    queue = client.get("/queue", headers=bearer(SUPPORT_TOKEN))
    assert queue.status_code == 200 and b"kestrel" not in queue.data and b'id="total">0<' in queue.data
    rid = item_of(settings, "kestrel_01")
    assert client.get(f"/items/{rid}", headers=bearer(SUPPORT_TOKEN)).status_code == 404
    assert client.get(f"/items/{rid}/pages/1.png", headers=bearer(SUPPORT_TOKEN)).status_code == 404
    assert client.post(f"/items/{rid}/accept", headers=bearer(SUPPORT_TOKEN), data={"version": "0"}).status_code == 404
    assert client.get(f"/items/{rid}", headers=bearer(ALICE_TOKEN)).status_code == 200


def test_form_posts_need_the_csrf_token(settings: Settings) -> None:
    client = local_client(settings)
    rid = item_of(settings, "kestrel_02")
    client.get(f"/items/{rid}")
    for data in ({"version": "0", "reason": "x"}, {"version": "0", "reason": "x", "csrf": "forged"}):
        assert client.post(f"/items/{rid}/reject", data=data).status_code == 400
    assert ReviewStore(settings.kb_root).decisions(rid) == []


def test_reviewers_file_errors_are_precise(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "r.yaml"
    cases = {
        "reviewers: [{name: a, token_env: NOPE}]": "NOPE is not set",
        "reviewers: [{name: a, token_sha256: abc}]": "64 hex digits",
        "reviewers: [{name: a, token_env: T, role: boss}]": "role 'boss'",
        "reviewers: [{name: 'a b', token_env: T}]": "name 'a b'",
        "reviewers: [{name: a, token_env: SHORT}]": "shorter than",
        "reviewers: [{name: a, token_env: T}, {name: a, token_sha256: " + "a" * 64 + "}]": "unique",
    }
    for text, message in cases.items():
        path.write_text(text, encoding="utf-8")
        with pytest.raises(AuthConfigError, match=re.escape(message)):
            load_auth(path, env={"T": ALICE_TOKEN, "SHORT": "abc"})
    monkeypatch.chdir(tmp_path)
    admin = load_auth(None, env={"MAPPER_REVIEW_TOKEN": BOB_TOKEN})
    assert admin.requires_token and admin.authenticate(BOB_TOKEN).role == "admin"
    with pytest.raises(AuthConfigError, match="not found"):
        load_auth(tmp_path / "missing.yaml", env={})


# ---- pages and escaping --------------------------------------------------------------------------


def test_segments_cover_the_text_once_with_offsets_and_evidence() -> None:
    from pipelines.model.document import Document, Element, Kind
    from pipelines.review.web import view

    text = "Invoice 😀 no\r\nINV-1\r\n\r\nTotal 12.50 EUR"
    els = [Element(Kind.LINE, "Invoice 😀 no", 0, 12), Element(Kind.LINE, "INV-1", 14, 19),
           Element(Kind.LINE, "Total 12.50 EUR", 23, 38)]
    doc = Document(id="x" * 64, source_path="t", media_type="text/plain", size=len(text), text=text, elements=els)
    spans = {"number": (14, 19), "total": (29, 38), "currency": (35, 38)}
    blocks, truncated = view.blocks(doc, spans)
    segs = [s for b in blocks for s in b.segments]
    assert not truncated and all("\r" not in s.text and text[s.start:s.end] == s.text for s in segs)
    assert "".join(s.text for s in segs) == text.replace("\r", "")
    assert [s.fields for s in segs if s.text in ("INV-1", "12.50 ", "EUR")] == [("number",), ("total",), ("currency", "total")]
    assert [b.kind for b in blocks] == ["line", "gap", "line", "gap", "line"] and blocks[1].blank
    assert view.blocks(doc, spans, limit=10)[1] is True


def test_queue_filters_and_counts(settings: Settings) -> None:
    client = local_client(settings)
    everything = client.get("/queue").data
    assert b'id="total">3<' in everything and b"invoice (2)" in everything and b"unclassified (1)" in everything
    assert b'id="total">2<' in client.get("/queue?schema=invoice").data
    assert b'id="total">2<' in client.get("/queue?reason=missing_required").data
    only = client.get("/queue?source=kestrel_02").data
    assert b'id="total">1<' in only and b"kestrel_02.pdf" in only and b"kestrel_01.pdf" not in only
    assert b'id="total">0<' in client.get("/queue?status=rejected").data
    assert client.get("/queue?status=bogus").status_code == 400


def test_item_page_shows_offsets_evidence_provenance_and_reasons(settings: Settings) -> None:
    rid = item_of(settings, "kestrel_01")
    item = ReviewStore(settings.kb_root).get(rid)
    doc = load_document(settings, item.document_id)
    body = local_client(settings).get(f"/items/{rid}").data.decode()
    # every text segment carries its offsets, and the segments spell the document text
    segs = re.findall(r'<span class="seg[^"]*" data-start="(\d+)" data-end="(\d+)"[^>]*>', body)
    assert segs and all(int(a) < int(b) for a, b in segs)
    covered = sorted((int(a), int(b)) for a, b in segs)
    assert covered[0][0] == 0 and covered[-1][1] == len(doc.text)
    assert all(b1 <= a2 for (_, b1), (a2, _) in zip(covered, covered[1:]))
    ev = item.fields["customer_account"]["evidence"]
    assert f'data-start="{ev["start"]}" data-end="{ev["end"]}" data-fields="customer_account"' in body
    assert "missing_required" in body and "low_confidence" in body and "generic" in body
    assert 'data-field="invoice_number"' in body and "not found" in body
    # the PDF's page image, rendered from the raw original
    assert f"/items/{rid}/pages/1.png" in body
    png = local_client(settings).get(f"/items/{rid}/pages/1.png")
    assert png.status_code == 200 and png.mimetype == "image/png" and png.data.startswith(b"\x89PNG")
    assert local_client(settings).get(f"/items/{rid}/pages/9.png").status_code == 404


def test_every_sample_item_renders_its_document(review_kb: Settings) -> None:
    """The shared sample KB (OCR'd scan, digital PDF, email, its photo attachment, CSV): each
    item page shows its document text in offset-carrying segments, or says why it cannot."""
    client = local_client(review_kb)
    items = ReviewStore(review_kb.kb_root).items()
    assert len(items) >= 4
    for item in items:
        body = client.get(f"/items/{item.review_id}").data.decode()
        assert item.source_path.split("/")[-1].split("#")[-1] in body
        doc = load_document(review_kb, item.document_id)
        if doc.text.strip():
            assert 'class="seg' in body and "could not be loaded" not in body, item.source_path
        for r in item.reasons:
            assert r["code"] in body


def test_document_text_and_names_are_escaped_and_csp_is_set(settings: Settings) -> None:
    rid = item_of(settings, "note_")
    resp = local_client(settings).get(f"/items/{rid}")
    body = resp.data.decode()
    assert "<script>alert" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in body
    assert "note_&lt;img src=x onerror=alert(1)&gt;.txt" in body
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Frame-Options"] == "DENY" and resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in local_client(settings).get("/queue").data.decode().replace(
        '<script src="/static/review.js" defer></script>', "")


def test_a_correction_with_markup_is_stored_as_text_and_shown_escaped(settings: Settings) -> None:
    client = local_client(settings)
    rid = item_of(settings, "kestrel_01")
    page = client.get(f"/items/{rid}")
    (inv,) = spans(settings, rid, "KFC/26/0403")
    evil = '<script>alert("x")</script> Ltd'
    resp = client.post(f"/items/{rid}/correct", data=correction_form(
        csrf_of(page.data), 0, invoice_number=("KFC/26/0403", *inv), customer_name=(evil, None, None)))
    assert resp.status_code == 302
    [decision] = ReviewStore(settings.kb_root).decisions(rid)
    assert {c["field"]: c["new"] for c in decision.corrections}["customer_name"] == evil
    shown = client.get(f"/items/{rid}").data.decode()
    assert '<script>alert("x")' not in shown and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Ltd" in shown


def test_huge_and_malformed_input_is_refused(settings: Settings) -> None:
    client = local_client(settings)
    rid = item_of(settings, "kestrel_01")
    csrf = csrf_of(client.get(f"/items/{rid}").data)
    huge = client.post(f"/items/{rid}/correct", data=correction_form(csrf, 0, customer_name=("x" * 300_000, None, None)))
    assert huge.status_code == 413
    long = client.post(f"/items/{rid}/correct", data=correction_form(csrf, 0, customer_name=("x" * 2001, None, None)))
    assert long.status_code == 400 and b"longer than 2,000 characters" in long.data
    for bad in ({"value.no_such_field": "1"}, {"value.customer_name": "x", "start.customer_name": "-3", "end.customer_name": "2"},
                {"value.customer_name": "x", "start.customer_name": "2"}):
        assert client.post(f"/items/{rid}/correct", data={"csrf": csrf, "version": "0", **bad}).status_code == 400, bad
    # a span that is not the selected text is the backend's to refuse, with the reason shown
    (inv,) = spans(settings, rid, "KFC/26/0403")
    wrong = client.post(f"/items/{rid}/correct", data=correction_form(csrf, 0, invoice_number=("KFC/99/9999", *inv)))
    assert wrong.status_code == 400 and b"is not the document text" in wrong.data
    assert b'value="KFC/99/9999"' in wrong.data  # the reviewer's input is kept
    control = client.post(f"/items/{rid}/correct", data=correction_form(csrf, 0, customer_name=("a\x00b", None, None)))
    assert control.status_code == 400 and b"control characters" in control.data
    reject = client.post(f"/items/{rid}/reject", data={"csrf": csrf, "version": "0", "reason": "dup\u202elicate"})
    assert reject.status_code == 400 and b"Cannot reject" in reject.data
    assert ReviewStore(settings.kb_root).decisions(rid) == []


# ---- concurrency ---------------------------------------------------------------------------------


def test_second_save_of_the_same_item_gets_409_with_the_first_decision(settings: Settings, tmp_path: Path) -> None:
    app = create_app(settings, token_auth(tmp_path), secret_key=b"test-secret")
    alice, bob = app.test_client(), app.test_client()
    rid = item_of(settings, "kestrel_01")
    pages = {}
    for client, token in ((alice, ALICE_TOKEN), (bob, BOB_TOKEN)):
        login = client.get("/login")
        assert client.post("/login", data={"csrf": csrf_of(login.data), "token": token}).status_code == 302
        pages[token] = client.get(f"/items/{rid}").data  # both see version 0
    (inv,) = spans(settings, rid, "KFC/26/0403")
    first = alice.post(f"/items/{rid}/correct", data=correction_form(
        csrf_of(pages[ALICE_TOKEN]), 0, invoice_number=("KFC/26/0403", *inv)))
    assert first.status_code == 302
    second = bob.post(f"/items/{rid}/correct", data=correction_form(
        csrf_of(pages[BOB_TOKEN]), 0, customer_name=("Severn Vale Water Limited", None, None)))
    assert second.status_code == 409
    body = second.data.decode()
    assert "alice corrected it at" in body and "KFC/26/0403" in body
    assert 'value="Severn Vale Water Limited"' in body  # bob's input is kept
    assert 'name="version" value="1"' in body  # saving again is a deliberate decision on top
    also = bob.post(f"/items/{rid}/accept", data={"csrf": csrf_of(pages[BOB_TOKEN]), "version": "0"})
    assert also.status_code == 409
    [only] = ReviewStore(settings.kb_root).decisions(rid)
    assert only.reviewer == "alice"
    again = bob.post(f"/items/{rid}/correct", data=correction_form(
        csrf_of(second.data), 1, invoice_number=("KFC/26/0403", None, None),
        customer_name=("Severn Vale Water Limited", None, None)))
    assert again.status_code == 302
    assert [d.reviewer for d in ReviewStore(settings.kb_root).decisions(rid)] == ["alice", "bob"]


# ---- the full flow: correct -> propose -> backtest -> promote ---------------------------------------


def test_correct_propose_backtest_promote(settings: Settings) -> None:
    client = local_client(settings)
    rid = item_of(settings, "kestrel_01")
    page = client.get(f"/items/{rid}")
    assert b'id="propose-form"' not in page.data  # nothing to learn from yet
    inv, total = spans(settings, rid, "KFC/26/0403", "1,748.76")
    saved = client.post(f"/items/{rid}/correct", data=correction_form(
        csrf_of(page.data), 0, invoice_number=("KFC/26/0403", *inv), total_amount=("1,748.76", *total)))
    assert saved.status_code == 302 and saved.headers["Location"].startswith(f"/items/{rid}")
    after = client.get(saved.headers["Location"])
    assert b"Correction saved" in after.data and b'id="propose-form"' in after.data
    assert b"corrected" in after.data

    proposed = client.post(f"/items/{rid}/propose", data={"csrf": csrf_of(after.data)})
    assert proposed.status_code == 302 and "/candidates/" in proposed.headers["Location"]
    cand = client.get(proposed.headers["Location"])
    body = cand.data.decode()
    cand_id = re.search(r'data-candidate-id="([^"]+)"', body).group(1)
    numbers = dict(re.findall(r'<dd id="bt-(\w+)"[^>]*>([^<]+)</dd>', body))
    assert numbers["matched"] == "2" and numbers["changed"] == "1" and numbers["broken"] == "0"
    assert numbers["own"] == "yes"
    assert "kestrel_02.pdf" in body and "KFC/26/00448" in body  # the other invoice gains its number
    assert "Document ref" in body and "schema: invoice" in body  # the rule as YAML

    promoted = client.post(f"/candidates/{cand_id}/promote", data={"csrf": csrf_of(cand.data)})
    assert promoted.status_code == 302
    target = settings.mappings_dir / "learned" / f"{cand_id}.yaml"
    assert target.is_file() and "promoted_by: alice" in target.read_text(encoding="utf-8")
    assert not (ROOT / "mappings" / "learned" / target.name).exists()
    shown = client.get(promoted.headers["Location"]).data
    assert b"promoted to mappings/learned/" in shown


def test_candidates_are_guarded(settings: Settings, tmp_path: Path) -> None:
    client = local_client(settings)
    assert client.get("/candidates/..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert client.get("/candidates/no-such-candidate").status_code == 404
    rid = item_of(settings, "kestrel_02")
    page = client.get(f"/items/{rid}")
    refused = client.post(f"/items/{rid}/propose", data={"csrf": csrf_of(page.data)})
    assert refused.status_code == 400 and b"No rule proposed" in refused.data


def test_accept_and_reject_go_to_the_next_open_item(settings: Settings) -> None:
    client = local_client(settings)
    open_ids = [i.review_id for i in ReviewStore(settings.kb_root).items()]
    first = open_ids[0]
    page = client.get(f"/items/{first}?schema=invoice")
    resp = client.post(f"/items/{first}/reject", data={"csrf": csrf_of(page.data), "version": "0",
                                                      "reason": "not ours", "q": "schema=invoice"})
    assert resp.status_code == 302
    nxt = resp.headers["Location"]
    assert nxt.startswith("/items/") and first not in nxt and "schema=invoice" in nxt
    empty = client.post(f"/items/{first}/reject", data={"csrf": csrf_of(page.data), "version": "1", "reason": ""})
    assert empty.status_code == 400 and b"needs a reason" in empty.data


def test_a_landed_record_is_reopened_from_the_queue_page_and_corrected(settings: Settings) -> None:
    """Problem 1 in the web app: a straight-through record gets a review page and can be corrected."""
    from pipelines.land.query import run_query
    from pipelines.run.direct import run

    summary = run([ROOT / "data_samples" / "invoices" / "aquaflow_0142.pdf"], settings)
    assert summary.outcomes["landed"] == 1
    record_id = run_query(settings.kb_root, "SELECT record_id FROM invoice WHERE source_path LIKE '%aquaflow_0142.pdf'"
                          ).record_id[0]
    client = local_client(settings)
    page = client.get("/queue")
    assert b'id="reopen"' in page.data
    missing = client.post("/records/reopen", data={"csrf": csrf_of(page.data), "record_id": "no-such-record"})
    assert missing.status_code == 404
    resp = client.post("/records/reopen", data={"csrf": csrf_of(page.data), "record_id": record_id})
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/items/")
    review_id = resp.headers["Location"].split("/items/")[1]
    item_page = client.get(f"/items/{review_id}")
    assert item_page.status_code == 200 and b"reopened" in item_page.data
    form = correction_form(csrf_of(item_page.data), 0, customer_name=("Reopened Web Customer", None, None))
    saved = client.post(f"/items/{review_id}/correct", data=form)
    assert saved.status_code in (200, 302), saved.data[:500]
    df = run_query(settings.kb_root, f"SELECT customer_name FROM invoice WHERE record_id = '{record_id}'")
    assert df.customer_name.tolist() == ["Reopened Web Customer"]


def test_required_marks_follow_the_records_variant() -> None:
    """The shipped invoice schema: a till receipt (its variant's signals, no due date) needs no
    number, so the page does not call it required; an invoice's text does."""
    from pipelines.model.schema import load_schemas
    from pipelines.review.web import view

    schema = load_schemas(ROOT / "schemas")["invoice"]
    proposed = {"fields": {"issuer_name": {"value": "Corner Hardware", "method": "generic", "confidence": 0.9},
                           "total_amount": {"value": "12.40", "method": "generic", "confidence": 0.9}}}
    receipt = "Corner Hardware\nTOTAL 12.40\nCASH 20.00\nCHANGE 7.60\nCashier: 3\n"
    invoice = "Corner Hardware\nInvoice Date: 3 May 2026\nTotal due: 12.40\nPayment within 30 days\n"

    def required(text: str | None, fields: dict | None = None) -> dict[str, bool]:
        return {r.name: r.required for r in view.field_rows(schema, fields or proposed, [], text)}

    on_receipt, on_invoice = required(receipt), required(invoice)
    assert on_receipt["invoice_number"] is False and on_receipt["issuer_name"] and on_receipt["issue_date"]
    assert on_invoice["invoice_number"] is True
    # a due date says it is no till receipt, whatever it prints
    due = {"fields": {**proposed["fields"], "due_date": {"value": "2026-06-01", "method": "generic", "confidence": 0.9}}}
    assert required(receipt, due)["invoice_number"] is True


def test_item_page_of_an_invoice_marks_its_number_required(settings: Settings) -> None:
    body = local_client(settings).get(f"/items/{item_of(settings, 'kestrel_01')}").data.decode()
    row = body[body.index("<code>invoice_number</code>"):][:200]
    assert "· required" in row
