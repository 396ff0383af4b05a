"""HL7 FHIR R4 Bundles of lab results, read into `rows.Parsed` rows.

FHIR mapping (bundles are validated with the `fhir.resources` R4B models, the 4.3 release that
keeps R4's Bundle, Observation and Specimen unchanged):

- The result is an Observation coded LOINC 94500-6 (SARS-CoV-2 RNA [Presence] in Respiratory
  specimen by NAA with probe detection; 94309-2, the same test in an unspecified specimen, is
  accepted too) with `status` final, amended, corrected or preliminary, and a SNOMED CT
  `valueCodeableConcept`:
  260385009 Negative and 260415000 Not detected → negative;
  10828004 Positive and 260373001 Detected → positive;
  720735008 Presumptive positive → presumptive_positive;
  419984006 Inconclusive → presumptive_positive, because an inconclusive pool (typically one
  target gene amplified) must not wait: its members stay home and are re-sampled singly, as for
  a screening positive (初筛阳性), rather than being sent back into the round as "invalid";
  455371000124106 Invalid result and 125154007 Specimen unsatisfactory → invalid.
- The tube is `Observation.specimen.identifier.value`, or the `accessionIdentifier.value` of
  the Specimen that `Observation.specimen.reference` points to (a bundle entry's fullUrl,
  `Specimen/<id>`, or a contained `#id`).
- Ct values are components of the result Observation, or separate Observations for the same
  specimen, coded by target gene: ORF1ab — LOINC 94511-3 (unspecified specimen) or 94644-2
  (respiratory specimen); N gene — LOINC 94510-5; or, for systems without gene-specific LOINC
  codes, `urn:fangkong:ct-target` with code `ORF1ab` or `N`. The value is `valueQuantity.value`;
  a `dataAbsentReason` (no amplification) means no Ct. LOINC 94745-7 / 94746-5 ("SARS-CoV-2
  RNA Ct", no gene named) cannot be told apart by gene and are ignored.
- `Observation.issued` is the report time, else `Bundle.timestamp`, else the time of receipt.
- Entries are numbered from 0, as in FHIRPath `Bundle.entry[i]`. Each result Observation and
  each entry that cannot be read is answered as a row; the others (Specimens, Ct Observations
  merged into their result, Patients, DiagnosticReports, …) are only counted, as `ignored`.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from fangkong.core.errors import RuleViolation
from fangkong.testing.models import Result

from ..services.results import ResultIn
from .cells import cell_text, clean_barcode
from .rows import MAX_ROWS, Parsed, ParsedRow, RowError, file_error, row_error

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
CT_TARGET_SYSTEM = "urn:fangkong:ct-target"
RESULT_CODES = {"94500-6", "94309-2"}
CT_CODES = {"94511-3": "ct_orf1ab", "94644-2": "ct_orf1ab", "94510-5": "ct_n"}
CT_TARGETS = {"orf1ab": "ct_orf1ab", "n": "ct_n"}
SNOMED_RESULTS = {
    "260385009": Result.NEGATIVE,
    "260415000": Result.NEGATIVE,
    "10828004": Result.POSITIVE,
    "260373001": Result.POSITIVE,
    "720735008": Result.PRESUMPTIVE_POSITIVE,
    "419984006": Result.PRESUMPTIVE_POSITIVE,
    "455371000124106": Result.INVALID,
    "125154007": Result.INVALID,
}
REPORTABLE_STATUSES = {"final", "amended", "corrected", "preliminary"}


# ---------------------------------------------------------------------------------------------
# FHIR R4 Bundle


def _pydantic_field(error: dict, skip: int) -> tuple[str, str]:
    loc = [str(p) for p in error.get("loc", ())[skip:]]
    return ".".join(loc) or "resource", str(error.get("msg", ""))


def _codes(concept) -> list[tuple[str | None, str | None]]:
    if concept is None:
        return []
    return [(c.system, c.code) for c in concept.coding or []]


def _loinc(concept) -> set[str]:
    return {code for system, code in _codes(concept) if system in (None, LOINC) and code}


def _ct_field(concept) -> str | None:
    for system, code in _codes(concept):
        if system in (None, LOINC) and code in CT_CODES:
            return CT_CODES[code]
        if system == CT_TARGET_SYSTEM and code and code.lower() in CT_TARGETS:
            return CT_TARGETS[code.lower()]
    return None


def _quantity(holder) -> Decimal | None:
    quantity = getattr(holder, "valueQuantity", None)
    if quantity is None or quantity.value is None:
        return None
    return Decimal(str(quantity.value))


class _Specimens:
    """Specimens of the bundle by every name a reference may use."""

    def __init__(self) -> None:
        self.by_ref: dict[str, Any] = {}

    def add(self, full_url: str | None, specimen) -> None:
        if full_url:
            self.by_ref[full_url] = specimen
        if specimen.id:
            self.by_ref[f"Specimen/{specimen.id}"] = specimen

    def barcode_of(self, observation) -> Any:
        ref = observation.specimen
        if ref is None:
            return None
        if ref.identifier is not None and ref.identifier.value:
            return ref.identifier.value
        target = ref.reference or ""
        specimen = None
        if target.startswith("#"):
            specimen = next(
                (
                    c
                    for c in observation.contained or []
                    if c.get_resource_type() == "Specimen" and c.id == target[1:]
                ),
                None,
            )
        else:
            specimen = self.by_ref.get(target) or self.by_ref.get(target.split("/_history")[0])
        if specimen is None or specimen.accessionIdentifier is None:
            return None
        return specimen.accessionIdentifier.value


def _load_json(data: bytes | str | dict) -> Any:
    if isinstance(data, dict):
        return data
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise file_error("json", _("The body is not JSON."), "bundle") from None


def _bundle(raw: Any):
    """The Bundle without its entries (they are read one by one), or why it is not one."""
    # fhir.resources takes two thirds of a second to import: only a FHIR upload pays it,
    # not every process that starts (the CLI, each server worker).
    from fhir.resources.R4B.bundle import Bundle
    from pydantic import ValidationError

    if not isinstance(raw, dict) or raw.get("resourceType") != "Bundle":
        raise file_error(
            "resource_type", _("Send a FHIR Bundle (resourceType Bundle)."), "resourceType"
        )
    entries = raw.get("entry") or []
    if not isinstance(entries, list):
        raise file_error("fhir", _("Bundle.entry is a list."), "entry")
    if len(entries) > 4 * MAX_ROWS:
        raise file_error(
            "too_many", _("A bundle holds at most %(n)s results; split it.") % {"n": MAX_ROWS}
        )
    try:
        return Bundle.model_validate({k: v for k, v in raw.items() if k != "entry"}), entries
    except ValidationError as exc:
        where, why = _pydantic_field(exc.errors()[0], 0)
        raise file_error("fhir", why, f"Bundle.{where}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise file_error("fhir", str(exc), "Bundle") from None


def _read_entries(
    entries: list, parsed: Parsed, specimens: _Specimens
) -> tuple[list[tuple[int, Any]], dict[int, RowError]]:
    """The Observations by entry index and the entries that cannot be read; Specimens are
    collected, every other resource counted as ignored."""
    from fhir.resources.R4B.bundle import BundleEntry
    from pydantic import ValidationError

    observations: list[tuple[int, Any]] = []
    errors: dict[int, RowError] = {}
    for index, entry_data in enumerate(entries):
        try:
            entry = BundleEntry.model_validate(entry_data)
        except ValidationError as exc:
            where, why = _pydantic_field(exc.errors()[0], 0)
            errors[index] = row_error(where, "fhir", why)
            continue
        except (KeyError, TypeError, ValueError):
            # fhir.resources raises KeyError for a resourceType it does not know.
            kind = entry_data.get("resource", {}) if isinstance(entry_data, dict) else None
            kind = kind.get("resourceType") if isinstance(kind, dict) else None
            errors[index] = row_error(
                "resource.resourceType",
                "fhir",
                _("Not a FHIR R4 resource type: %(kind)s") % {"kind": kind},
            )
            continue
        resource = entry.resource
        kind = resource.get_resource_type() if resource is not None else None
        if kind == "Specimen":
            specimens.add(entry.fullUrl, resource)
        if kind == "Observation":
            observations.append((index, resource))
        else:
            parsed.ignored += 1
    return observations, errors


def _merge_cts(
    cts: list[tuple[int, Any, str]],
    results_by_tube: dict[str, list[ParsedRow]],
    specimens: _Specimens,
    rows: dict[int, ParsedRow],
    parsed: Parsed,
) -> None:
    """Ct values sent as Observations of their own fill in the result rows of their tube."""
    for index, obs, ct_field in cts:
        try:
            barcode = clean_barcode(specimens.barcode_of(obs), "specimen")
            targets = results_by_tube.get(barcode)
            if not targets:
                raise RuleViolation(
                    field="specimen",
                    code="no_result",
                    message=_(
                        "A Ct value for tube %(barcode)s, but the bundle has no result "
                        "Observation (LOINC 94500-6) for that tube."
                    )
                    % {"barcode": barcode},
                )
            value = _quantity(obs)
            for target in targets:
                if getattr(target.item, ct_field) is None:
                    setattr(target.item, ct_field, value)
            parsed.ignored += 1
        except RuleViolation as exc:
            rows[index] = ParsedRow(
                row=index, tube_barcode="", error=row_error(exc.field, exc.code, exc.message)
            )


def parse_bundle(data: bytes | str | dict) -> Parsed:
    """Results from a FHIR R4 Bundle: one row per result Observation, numbered by entry."""
    bundle, entries = _bundle(_load_json(data))
    parsed = Parsed(source="fhir", unit="entry")
    specimens = _Specimens()
    observations, errors = _read_entries(entries, parsed, specimens)
    rows: dict[int, ParsedRow] = {i: ParsedRow(row=i, error=e) for i, e in errors.items()}
    results_by_tube: dict[str, list[ParsedRow]] = {}
    cts: list[tuple[int, Any, str]] = []
    for index, obs in observations:
        if _loinc(obs.code) & RESULT_CODES:
            row = _result_observation(index, obs, specimens, bundle.timestamp)
            rows[index] = row
            if row.item is not None:
                results_by_tube.setdefault(row.item.tube_barcode, []).append(row)
        elif (ct_field := _ct_field(obs.code)) is not None:
            cts.append((index, obs, ct_field))
        else:
            parsed.ignored += 1
    _merge_cts(cts, results_by_tube, specimens, rows, parsed)
    parsed.rows = [rows[i] for i in sorted(rows)]
    if not parsed.rows:
        raise file_error(
            "empty",
            _("The bundle has no result Observation (LOINC 94500-6)."),
            "entry",
        )
    return parsed


def _result_observation(index: int, obs, specimens: _Specimens, default_time) -> ParsedRow:
    row = ParsedRow(row=index)
    try:
        raw_barcode = specimens.barcode_of(obs)
        if raw_barcode is None:
            raise RuleViolation(
                field="specimen",
                code="required",
                message=_(
                    "Name the tube: Observation.specimen.identifier, or a Specimen with "
                    "accessionIdentifier in the bundle."
                ),
            )
        row.tube_barcode = cell_text(raw_barcode)
        barcode = clean_barcode(raw_barcode, "specimen")
        row.tube_barcode = barcode
        if obs.status not in REPORTABLE_STATUSES:
            raise RuleViolation(
                field="status",
                code="status",
                message=_(
                    "Only final, amended, corrected or preliminary results are recorded; this "
                    "one is %(status)s."
                )
                % {"status": obs.status},
            )
        result = next(
            (
                SNOMED_RESULTS[code]
                for system, code in _codes(obs.valueCodeableConcept)
                if system in (None, SNOMED) and code in SNOMED_RESULTS
            ),
            None,
        )
        if result is None:
            raise RuleViolation(
                field="valueCodeableConcept",
                code="choice",
                message=_(
                    "The result needs a SNOMED CT valueCodeableConcept: 260385009 Negative, "
                    "10828004 Positive, 720735008 Presumptive positive, 419984006 "
                    "Inconclusive or 455371000124106 Invalid."
                ),
            )
        ct = {"ct_orf1ab": None, "ct_n": None}
        for component in obs.component or []:
            ct_field = _ct_field(component.code)
            if ct_field is not None:
                ct[ct_field] = _quantity(component)
        row.item = ResultIn(
            tube_barcode=barcode,
            result=result.value,
            ct_orf1ab=ct["ct_orf1ab"],
            ct_n=ct["ct_n"],
            reported_at=obs.issued or default_time,
        )
    except RuleViolation as exc:
        row.error = row_error(exc.field, exc.code, exc.message)
    return row
