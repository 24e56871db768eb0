"""Extraction with no per-source rules (the generic extractor) and the label finders the rules use.

Entry point: `extract_generic(doc, schema, locale=...)` (engine.py). Layout: `locate` is the
finder API (labels -> index -> pairing -> cells/finders/tables); the generic extractor's
candidate finders are label_values, headers, types, zones/companies, structured (enums, lists);
`choice` picks the values and their confidence.
"""

from pipelines.map.extract.engine import extract_generic

__all__ = ["extract_generic"]
