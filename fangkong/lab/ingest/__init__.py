"""Lab results in: a JSON list, a CSV or Excel file, or an HL7 FHIR R4 Bundle.

Each parser turns what a lab sends into `ResultIn` rows plus a reason for every row it cannot
read (the row or entry, the field, the rule). `submit_results` hands the readable rows to
`lab.services.results.record_results`, which owns every result rule (unknown or not-received
tubes, Ct ranges, conflicting second results held for review), and answers every row.

Barcodes are checked here before anything reaches the database: a barcode that went through
Excel as a number, or whose check digit does not match, is refused with an explanation. That
is the "manual barcode entry at the lab creating duplicates" failure: a typed barcode must
never become a result for some other tube.

Column names and cell words (管号, 阴性, …) are data, not interface text: the parser must read
结果 whatever the uploader's language is, so they live in the tables of `cells` and `tables`.

Modules: `rows` (what a parser answers), `cells` (one cell, one row; the JSON items),
`tables` (CSV and Excel), `fhir` (the FHIR R4 Bundle mapping), `submit` (recording and the
answer to every row).
"""

from .cells import parse_items
from .fhir import parse_bundle as parse_fhir
from .rows import MAX_FILE_BYTES, MAX_ROWS, IngestReport, Parsed, ParsedRow, RowOutcome
from .submit import authorise_submission, check_custody, submit_results
from .tables import parse_csv, parse_upload, parse_xlsx

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "IngestReport",
    "Parsed",
    "ParsedRow",
    "RowOutcome",
    "authorise_submission",
    "check_custody",
    "parse_csv",
    "parse_fhir",
    "parse_items",
    "parse_upload",
    "parse_xlsx",
    "submit_results",
]
