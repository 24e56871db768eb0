"""Finding value text next to labels: the API shared by the rule engine, the review's rule
learning, the LLM's chunker and the generic extractor (implemented in labels, index,
pairing, cells, finders and tables beside this module).

Every finder returns `Hit`s: a span into `Document.text` (so `doc.text[hit.start:hit.end] ==
hit.text`), the page, the label that anchored it, how it was found and a layout score (0..1).

Label matching is case-insensitive and tolerant of whitespace and punctuation: "Invoice No."
matches "Invoice no:", "INVOICE NO", "Invoice-No" and "InvoiceNo"; labels match whole words
only ("Total" does not match inside "Subtotal"). Where several labels match overlapping text,
the longest wins: a match contained in a longer one is dropped ("Date" inside "Invoice Date",
"Total" inside "Total Due", "VAT" inside "VAT Number"), and longer labels score higher.

Where the value sits:
  right  - after the label on the same line, up to a column gap (3+ spaces or a tab: the PDF
           parser joins far-apart word groups that way), the next label ("Date: 1 May Ref: 7")
           or the end of the line. A label that ends its column takes the next column.
  below  - PDF lines: the words on the next line(s) whose x-range overlaps the label's (the
           first line that has any); other text: the column of the next non-empty line that
           overlaps the label's character columns (or the whole line if it has one column).
  kv     - KEY_VALUE elements: the value attribute's span.
  table  - table cells: "label | value" rows and "label" cells with the value below.

Layout scores: a label that starts its column and is followed by ":" scores highest; a label
word inside running text ("... our total commitment ...") scores low, as does a header that
heads a list column (two or more values of one shape below it: line items), a value across a
column gap on a row of headers, and a value written much larger than its label (a heading
sharing the baseline). Scores are multiplied by the label's specificity. A label directly
followed by another label ("Customer Account") qualifies it and anchors nothing itself.

API: `find_after_label`, `find_regex`, `find_table_rows`, `find_label_cells` (as the rule engine
uses them); `match_labels` + `values_for_matches` (label matches of many fields at once, for the
generic extractor); `doc_index` (cached lines with geometry) and `segments` (a line's columns).
"""

from pipelines.map.extract.cells import find_label_cells
from pipelines.map.extract.finders import find_after_label, find_regex, values_for_matches
from pipelines.model.layout import DocIndex, Line, doc_index
from pipelines.map.extract.labels import Direction, Hit, LabelMatch, fold_label, label_pattern, match_labels, specificity
from pipelines.map.extract.pairing import segments
from pipelines.map.extract.tables import find_table_rows

__all__ = ["Direction", "DocIndex", "Hit", "LabelMatch", "Line", "doc_index", "find_after_label", "find_label_cells",
           "find_regex", "find_table_rows", "fold_label", "label_pattern", "match_labels", "segments",
           "specificity", "values_for_matches"]
