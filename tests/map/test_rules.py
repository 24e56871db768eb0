from pathlib import Path

import pytest

from pipelines.map.rules import RuleError, load_rules
from pipelines.model.schema import load_schemas
from tests.support.shipped import MAPPINGS

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = load_schemas(ROOT / "schemas")

GOOD = """
id: acme-invoice
schema: invoice
priority: 10
match:
  keywords: [ACME Pipes]
fields:
  invoice_number:
    id: acme.invoice_number
    anchor: {label: Invoice No, direction: right}
    examples:
      - {text: "Invoice No: AC-1", expected: AC-1}
  issue_date:
    - id: acme.issue_date
      regex: 'Dated (?P<value>\\d\\d\\.\\d\\d\\.\\d{4})'
      transforms: [{date_format: "%d.%m.%Y"}]
  line_items:
    - id: acme.lines
      table: {columns: {description: [Item], amount: [Sum]}}
"""


def test_rule_set_loads_and_single_rules_become_lists(tmp_path):
    (tmp_path / "acme.yaml").write_text(GOOD)
    book = load_rules(tmp_path, SCHEMAS)
    rs = book.rule_sets[0]
    assert rs.schema_name == "invoice" and rs.fields["invoice_number"][0].finder == "anchor"
    assert rs.fields["invoice_number"][0].anchor.labels == ["Invoice No"]
    assert book.fingerprint() == load_rules(tmp_path, SCHEMAS).fingerprint()


@pytest.mark.parametrize(
    "replace, message",
    [
        (("schema: invoice", "schema: invoce"), "unknown schema 'invoce'"),
        (("  issue_date:", "  issued_on:"), "field 'issued_on' is not in schema 'invoice'"),
        (("regex: 'Dated", "regex: '(Dated"), "rule 'acme.issue_date'"),
        (("anchor: {label: Invoice No, direction: right}", "anchor: {label: Invoice No}\n    constant: x"), "exactly one finder"),
        (("{date_format: \"%d.%m.%Y\"}", "shout"), "unknown transform"),
        (("amount: [Sum]", "total: [Sum]"), "not sub-fields of 'line_items'"),
        (("match:\n  keywords: [ACME Pipes]", "match: {}"), "at least one 'match' selector"),
    ],
)
def test_bad_rules_report_file_rule_and_problem(tmp_path, replace, message):
    path = tmp_path / "acme.yaml"
    path.write_text(GOOD.replace(*replace))
    with pytest.raises(RuleError) as exc:
        load_rules(tmp_path, SCHEMAS)
    assert str(path) in str(exc.value)
    assert message in str(exc.value)


def test_duplicate_rule_ids_across_files_are_refused(tmp_path):
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text(GOOD)
    with pytest.raises(RuleError, match="already used"):
        load_rules(tmp_path, SCHEMAS)


def test_shipped_mappings_load():
    book = load_rules(MAPPINGS, SCHEMAS)
    assert book.classifiers or book.rule_sets
