"""The review page of a hybrid PDF whose page disagrees with its XML: the XML's values beside
the page, both values of each disagreement, and no XML offsets highlighted in the page text."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from pipelines.config import Settings
from pipelines.run.direct import run
from pipelines.review.store import ReviewStore
from pipelines.review.web import create_app
from pipelines.review.web.auth import AuthConfig, Reviewer
from tests.support.shipped import MAPPINGS

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures" / "einvoice"


def test_review_page_shows_xml_values_beside_the_page(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(FIX / "hybrid_page_mismatch.pdf", inbox / "hybrid_page_mismatch.pdf")
    settings = Settings(kb_root=tmp_path / "kb", schemas_dir=ROOT / "schemas", mappings_dir=MAPPINGS,
                        raw_dir=None, workers=0)
    run([inbox], settings, batch_id="r1")
    [item] = ReviewStore(settings.kb_root).items(status=None)
    app = create_app(settings, AuthConfig(local_reviewer=Reviewer("alice")), secret_key=b"test-secret")
    body = app.test_client().get(f"/items/{item.review_id}").get_data(as_text=True)
    assert "from the XML embedded in this PDF" in body and "GrandTotalAmount" in body
    assert "einvoice_page_mismatch" in body
    assert "the embedded XML says 1067.43; the page says 1234.56" in body
    assert "pages/1.png" in body  # the page itself, beside the values
    # every value came from the XML: none of its offsets is highlighted in the PDF's own text
    assert re.findall(r'data-fields="([^"]*)"', body) == []
