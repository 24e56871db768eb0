"""The review app in real headless Chromium (Debian's chromium + chromedriver, never a download).

One reviewer's path through the app: open the queue, move to an item with the keyboard, pick
a field, select its text in the document (a DOM Range handed to the app's own selection
handler), save the correction, propose a rule, read the backtest impact, promote the rule.
A screenshot of the item page is kept at test-artifacts/review_page.png.

Without Chromium the test skips (and fails under CI=true, where the setup installs it).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.review.documents import load_document
from pipelines.review.store import ReviewStore
from pipelines.review.web import create_app
from pipelines.review.web.auth import AuthConfig, Reviewer
from tests.review.test_web import build_learning_kb, private_settings

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")
CHROMEDRIVER = Path(shutil.which("chromedriver") or "/usr/bin/chromedriver")
ARTIFACT = ROOT / "test-artifacts" / "review_page.png"
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1500,1000")
WAIT = 30  # generous: a slow CI machine is not a failure

# Selects document offsets [start, end) the way a mouse would: a Range over the rendered
# segments (each carries data-start; offsets inside are code points), then the mouseup the
# app listens for.
SELECT_JS = """
const [start, end] = arguments;
const segs = Array.from(document.querySelectorAll('#doc-text .seg'));
function point(off, isEnd) {
  for (const s of segs) {
    const a = +s.dataset.start, b = +s.dataset.end;
    if (isEnd ? (off > a && off <= b) : (off >= a && off < b)) {
      return [s.firstChild, Array.from(s.firstChild.data).slice(0, off - a).join('').length];
    }
  }
  throw new Error('offset not rendered: ' + off);
}
const r = document.createRange();
r.setStart(...point(start, false));
r.setEnd(...point(end, true));
const sel = window.getSelection();
sel.removeAllRanges();
sel.addRange(r);
document.getElementById('doc-text').dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
"""


def _chromium_or_skip() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        message = (f"Chromium is not installed ({', '.join(missing)} missing); install Debian's `chromium` and "
                   "`chromium-driver` packages (the setup does)")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, object]]:
    """The real app over a KB built by the pipeline, served by werkzeug on a free port."""
    from werkzeug.serving import make_server

    _chromium_or_skip()
    tmp = tmp_path_factory.mktemp("browser")
    settings = private_settings(build_learning_kb(tmp / "build"), tmp / "run")
    app = create_app(settings, AuthConfig(local_reviewer=Reviewer("alice")))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", settings
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="module")
def driver(served, tmp_path_factory: pytest.TempPathFactory):
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never fetch a browser or driver
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    browser = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    browser.set_page_load_timeout(WAIT)
    try:
        yield browser
    finally:
        browser.quit()


def test_review_correct_by_selection_propose_and_promote(served, driver) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    base, settings = served
    wait = WebDriverWait(driver, WAIT)
    keys = lambda *k: ActionChains(driver).send_keys(*k).perform()  # noqa: E731 - to the focused page
    item = ReviewStore(settings.kb_root).items(source="kestrel_01")[0]
    text = load_document(settings, item.document_id).text

    # 1. the queue: move to the Kestrel invoice with j, open it with Enter
    driver.get(base + "/queue")
    rows = wait.until(ec.presence_of_all_elements_located((By.CSS_SELECTOR, "#queue-table tbody tr.row")))
    assert len(rows) == 3
    target = next(i for i, r in enumerate(rows) if "kestrel_01.pdf" in r.text)
    for _ in range(target):
        keys("j")
    assert "current" in rows[target].get_attribute("class")
    keys(Keys.ENTER)
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "body[data-page=item]")))
    assert "kestrel_01.pdf" in driver.find_element(By.CSS_SELECTOR, ".doc-head h1").text

    # 2. clicking a field shows its evidence in the document
    driver.find_element(By.CSS_SELECTOR, 'tr.field[data-field="customer_account"] .fname').click()
    lit = driver.find_elements(By.CSS_SELECTOR, "#doc-text .seg.active-ev")
    assert lit and "K04100" in "".join(s.text for s in lit)

    # 3. number key 1 picks invoice_number; a sloppy selection (with the tab and line break
    #    around the value) fills the correction with the trimmed text and its exact span
    inv = text.index("KFC/26/0403")
    keys("1")
    driver.execute_script(SELECT_JS, inv - 1, inv + len("KFC/26/0403") + 1)
    row = driver.find_element(By.CSS_SELECTOR, 'tr.field[data-field="invoice_number"]')
    assert "active" in row.get_attribute("class")
    assert row.find_element(By.CSS_SELECTOR, ".cval").get_attribute("value") == "KFC/26/0403"
    assert row.find_element(By.CSS_SELECTOR, ".cstart").get_attribute("value") == str(inv)
    assert row.find_element(By.CSS_SELECTOR, ".cend").get_attribute("value") == str(inv + len("KFC/26/0403"))

    # 4. a second field by clicking its row, then selecting the right total
    total = text.index("1,748.76")
    driver.find_element(By.CSS_SELECTOR, 'tr.field[data-field="total_amount"] .fname').click()
    driver.execute_script(SELECT_JS, total, total + len("1,748.76"))
    row = driver.find_element(By.CSS_SELECTOR, 'tr.field[data-field="total_amount"]')
    assert row.find_element(By.CSS_SELECTOR, ".cval").get_attribute("value") == "1,748.76"
    assert driver.find_elements(By.CSS_SELECTOR, "#doc-text .seg.picked")

    driver.execute_script("window.getSelection().removeAllRanges(); window.scrollTo(0, 0);")
    ARTIFACT.parent.mkdir(exist_ok=True)
    assert driver.save_screenshot(str(ARTIFACT)) and ARTIFACT.stat().st_size > 10_000

    # 5. s saves; the item is corrected by alice and a rule can be proposed
    keys("s")
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".flashes"), "Correction saved"))
    [decision] = ReviewStore(settings.kb_root).decisions(item.review_id)
    assert decision.reviewer == "alice" and {c["field"]: (c["start"], c["new"]) for c in decision.corrections} == {
        "invoice_number": (inv, "KFC/26/0403"), "total_amount": (total, "1748.76")}

    # 6. p proposes; the backtest impact is shown
    keys("p")
    wait.until(ec.presence_of_element_located((By.ID, "impact")))
    impact = {k: driver.find_element(By.ID, f"bt-{k}").text for k in ("matched", "changed", "broken", "own")}
    assert impact == {"matched": "2", "changed": "1", "broken": "0", "own": "yes"}
    assert "kestrel_02.pdf" in driver.find_element(By.ID, "impact").text
    cand_id = driver.find_element(By.ID, "candidate").get_attribute("data-candidate-id")
    assert "Document ref" in driver.find_element(By.ID, "rule-yaml").text

    # 7. promote: the rule is written to (the copy of) mappings/learned/
    driver.find_element(By.ID, "promote").click()
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".flashes"), "promoted"))
    promoted = settings.mappings_dir / "learned" / f"{cand_id}.yaml"
    assert promoted.is_file() and "promoted_by: alice" in promoted.read_text(encoding="utf-8")

    # no script errors and no CSP violations on the way
    errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    assert not errors, errors


def test_selection_offsets_count_code_points_not_utf16_units(served, driver) -> None:
    """Emoji before the selection (two UTF-16 units, or more, each) must not shift the span."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    base, settings = served
    item = ReviewStore(settings.kb_root).items(source="note_")[0]
    text = load_document(settings, item.document_id).text
    driver.get(f"{base}/items/{item.review_id}")
    WebDriverWait(driver, WAIT).until(ec.presence_of_element_located((By.ID, "doc-text")))
    assert '<script>alert("pwned")</script>' in driver.find_element(By.ID, "doc-text").text  # shown as text
    for value in ("ZX-99", "Q-7"):
        start = text.index(value)
        driver.execute_script(SELECT_JS, start, start + len(value))
        span = driver.execute_script("return window.mapperReview.selectionSpan();")
        assert span == {"start": start, "end": start + len(value), "text": value}
