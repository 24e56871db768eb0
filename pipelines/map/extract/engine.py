"""Extraction with no per-source rules: only the schema (aliases, types, enums) drives it.

`extract_generic(doc, schema)` returns one record for the whole document. Every value carries
method "generic" (or "default" for an enum's schema default), an Evidence span that slices back
to the document text, and a confidence that reflects how well the finders agree.

Finders (each yields candidates: a normalised value, its span and a score in 0..1):
  labels   - each field's aliases as labels; the value right of / below the label, key-value
             lines, "label | value" table cells and header cells with the value below
             (`locate.values_for_matches`). Where labels overlap, the longest wins ("Invoice
             Date" over "Date", "VAT Number" over "VAT"), and a span claimed by a more specific
             label of another field is not taken ("Due Date: ..." never feeds the issue date).
  headers  - email documents: aliases that name a header ("From", "Subject", "Date"). The
             display name of an address header also feeds a string field that is the "name
             sibling" of the email field taking the address (x_email -> x_name: same
             field-name prefix, an alias with the word "name"), and a company name in the
             sender's own signature feeds it a little more strongly.
  types    - patterns where labels are absent: IBANs (checksum-valid), e-mail addresses, phone
             numbers, UK/NL postcodes, the document's first date (for the first required date
             field), the currency of the amounts (ISO codes and symbols, most frequent).
  company  - fields in the issuer role (a string field with a seller-like alias: "Supplier",
             "Vendor", "Seller", "Sold By", ...): names with a legal-form suffix (Ltd, GmbH,
             B.V., S.A., Inc., ...), the most prominent line near the top of page 1, and short
             name-like lines near the top, all outside the customer block ("Bill to", "Invoice
             to", "Customer", ...). A name that matches a web or e-mail domain printed in the
             document gets a boost: sellers print their own domain.
  title    - fields in the title role (alias "Title"): the first title/heading element.
  enums    - synonyms (and the value names) counted in the text: the subject counts double,
             quoted replies and signatures little; when nothing matches, the schema default
             (method "default", no evidence, confidence 0.5). An enum whose values name the
             document's medium ("email") takes it from the medium when it has no synonyms.
  lists    - list fields with sub-fields: tables whose headers match the sub-field aliases
             (line items); header, blank and total rows are skipped.

Choosing: candidates of a field are normalised with the field's type (failures dropped),
grouped by value; a group's score is the noisy-OR of its members (agreement between finders
raises it), and the confidence is that score, lowered when a different value scores close
behind. Amounts: for a check "A + B == C" in the schema (subtotal + tax = total), values that
make it hold are boosted, both within one totals row ("Total  257,59  59,24  316,83") and
across the document.

Role cues (issuer/customer/title) are the only place where words of a language are listed
beside the schema, and they name roles, not fields: nothing here knows a shipped schema.
"""

from __future__ import annotations
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any
from pipelines.model.document import Document, Status
from pipelines.model.records import Issue, Record
from pipelines.map.normalize import Locale
from pipelines.model.schema import Schema
from pipelines.map.extract.calibration import calibrated, landing_threshold, measured
from pipelines.map.extract.amounts import payment_check, role_penalties, tender_candidate, total_fields
from pipelines.map.extract.columns import column_runs
from pipelines.map.extract.choice import apply_claims, arithmetic, choose
from pipelines.map.extract.corroborate import corroborate_total
from pipelines.map.extract.companies import company_candidates, title_candidates
from pipelines.map.extract.contracts import contract_fields
from pipelines.map.extract.context import Ctx
from pipelines.map.extract.headers import demote_header_dates, header_candidates
from pipelines.model.layout import doc_index
from pipelines.map.extract.label_values import label_candidates
from pipelines.map.extract.joint import date_order, distinct_parties, issuer_zone
from pipelines.map.extract.letterhead import address_under, header_names, letterhead_names
from pipelines.map.extract.recipient import recipient_candidates
from pipelines.map.extract.structured import enum_field, list_field
from pipelines.map.extract.sums import complete_sums, part_sums
from pipelines.map.extract.types import type_candidates
from pipelines.map.extract.vocab import CUSTOMER_CUES, ISSUER_CUES
from pipelines.map.extract.scope import address_fields, letterhead_fields, scope
from pipelines.map.extract.zones import readers_accounts, role_fields


def _document_locale(doc: Document, base: Locale) -> Locale:
    """Infer day/month order and the decimal mark from the document when the caller gave none."""
    changes: dict[str, Any] = {}
    if base.dayfirst is None:
        dayfirst = monthfirst = 0
        for m in re.finditer(r"(?<![\d/.\-])(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?![\d/.\-])", doc.text):
            a, b = int(m.group(1)), int(m.group(2))
            if a > 12 and b <= 12:
                dayfirst += 1
            elif b > 12 and a <= 12:
                monthfirst += 1
        if monthfirst and not dayfirst:
            changes["dayfirst"] = False
        elif dayfirst and not monthfirst:
            changes["dayfirst"] = True
    if base.decimal is None:
        comma = len(re.findall(r"\d,\d{2}(?![\d.,])", doc.text))
        dot = len(re.findall(r"\d\.\d{2}(?![\d.,])", doc.text))
        if comma >= 2 and comma >= 3 * dot:
            changes["decimal"] = ","
        elif dot >= 2 and dot >= 3 * comma:
            changes["decimal"] = "."
    return replace(base, **changes) if changes else base


def candidate_context(doc: Document, schema: Schema, *, locale: Locale | None = None,
                      wanted: frozenset[str] | None = None) -> Ctx | None:
    """Every field's candidates from the finders (labels, headers, types, company/title zones),
    before any choosing; None for a document without text. The LLM step uses it to check that a
    quote sits where a field's label, zone or type puts it (pipelines/llm/field_fit.py).
    With `wanted`, the type and company/title finders look only for those fields; label
    candidates are found for all, as they claim spans from each other (choice.apply_claims)."""
    if doc.status is not Status.PARSED or not doc.text.strip():
        return None
    ctx = Ctx(doc, schema, _document_locale(doc, locale or Locale()), doc_index(doc), wanted=wanted)
    ctx.party_fields = frozenset(role_fields(schema, ISSUER_CUES) + role_fields(schema, CUSTOMER_CUES))
    ctx.address_fields = address_fields(schema)
    label_candidates(ctx)
    header_candidates(ctx)
    type_candidates(ctx)
    demote_header_dates(ctx)
    company_candidates(ctx)
    recipient_candidates(ctx)
    title_candidates(ctx)
    return ctx


def extract_generic(doc: Document, schema: Schema, *, locale: Locale | None = None,
                    only: Iterable[str] | None = None, known_layout: bool = False) -> Record:
    """One record for the whole document (index 0), from the schema alone. With `only`, just
    those fields (and their issues): each exactly as a full run would give it, at less cost.
    `known_layout`: a rule set of the document's layout leaves these fields to the generic
    extractor (see _below_landing)."""
    return extract_explained(doc, schema, locale=locale, only=only, known_layout=known_layout)[0]


def extract_explained(doc: Document, schema: Schema, *, locale: Locale | None = None,
                      only: Iterable[str] | None = None, known_layout: bool = False) -> tuple[Record, dict[str, str]]:
    """The record and, per field, the finder family its value came from (for calibration)."""
    record = Record(schema.name, doc.id, doc.source_path, index=0)
    kept = None if only is None else frozenset(n for n in only if n in schema.fields)
    if kept is not None and not kept:
        return record, {}
    wanted = None if kept is None else scope(schema, kept)
    ctx = candidate_context(doc, schema, locale=locale, wanted=wanted)
    if ctx is None:
        return record, {}
    column_runs(ctx)
    role_penalties(ctx)
    readers_accounts(ctx)
    apply_claims(ctx)
    part_sums(ctx)
    complete_sums(ctx)
    for total in total_fields(ctx):
        if ctx.wants(total):
            tender_candidate(ctx, total)
    arithmetic(ctx)
    for total in total_fields(ctx):
        if ctx.wants(total):
            payment_check(ctx, total)
            corroborate_total(ctx, total)
    issuer_names = role_fields(schema, ISSUER_CUES)
    if issuer_names:
        issuer_zone(ctx, issuer_names[0])
        if letterhead_fields(schema):
            letterhead_names(ctx, issuer_names[0])
        header_names(ctx, issuer_names[0])
    letterhead = letterhead_fields(schema)
    # the issuer's address is read under the issuer's name: choose the name first
    order = issuer_names[:1] + [n for n in schema.fields if n not in issuer_names[:1]]
    for name in (n for n in order if ctx.wants(n)):
        spec = schema.fields[name]
        if name in letterhead and issuer_names:
            owner = issuer_names[0]
            cand, name_hint = address_under(ctx, record.fields.get(owner))
            if name_hint is not None:
                ctx.cands[owner].append(name_hint)
                fv, _ = choose(ctx, owner, schema.fields[owner])
                if fv is not None:
                    record.fields[owner] = fv
                cand, _ = address_under(ctx, fv)
            if cand is not None:
                ctx.cands[name].append(cand)
        if spec.type == "list" and isinstance(spec.items, dict):
            fv = list_field(ctx, name, spec)
            issue = None
        elif spec.type == "enum" and not ctx.cands.get(name):
            # no "Priority: high" label: count the synonyms in the text (or use the default)
            fv = enum_field(ctx, name, spec)
            issue = None
        else:
            fv, issue = choose(ctx, name, spec)
        if fv is not None:
            record.fields[name] = fv
        if issue is not None:
            record.issues.append(issue)
    date_order(ctx, record)
    distinct_parties(ctx, record, issuer_names, role_fields(schema, CUSTOMER_CUES))
    # Agreements state their parties, date, term and law in prose: the contract finders decide.
    for name, found in contract_fields(doc, schema, ctx.locale, only=wanted).items():
        record.issues = [i for i in record.issues if i.field != name]
        ctx.finders[name] = "contract"
        if found is None:
            record.fields.pop(name, None)
        else:
            record.fields[name] = found
    record.fields = {n: record.fields[n] for n in schema.fields if n in record.fields and (kept is None or n in kept)}
    record.issues.extend(_below_landing(record, schema, ctx.finders, ctx.backing, known_layout))
    if kept is not None:
        record.issues = [i for i in record.issues if i.field in kept]
    return record, {n: f for n, f in ctx.finders.items() if n in record.fields}


def _below_landing(record: Record, schema: Schema, finders: dict[str, str],
                   backing: dict[str, frozenset[str]], known_layout: bool = False) -> list[Issue]:
    """A required value whose finder family was calibrated lands by itself only at or above the
    landing threshold: values of that probability were right at least 99% of the time on the
    fit half (calibration.json); below it a person (or the LLM) confirms it. Values of a family
    the calibration never measured keep the schema's min_confidence only for fields it had no gold
    for. A field it had gold for (calibration.measured) read by a family without a curve
    ("label+check", "sum+check+pay": too rare to fit) has no known probability, whatever its raw
    score: it does not land by itself (required -> a person, optional -> left out), unless a rule
    set of the document's layout leaves that field to the generic extractor: its records were
    confirmed by people on that layout (the trust ramp, backtests), a measure per layout. So does a
    required party's name (an issuer or customer role field) that one unmeasured finder family
    alone read: names read by one unmeasured finder went wrong at 0.6 (a label's word under a
    'Seller' heading landed as the Factur-X dev invoice's issuer); a name two families agree on
    (the label and a legal-form name or heading) keeps min_confidence."""
    t = landing_threshold(schema.name)
    if t is None:
        return []
    parties = set(role_fields(schema, ISSUER_CUES) + role_fields(schema, CUSTOMER_CUES))
    gold = measured(schema.name)
    flagged = {i.field for i in record.issues}
    out = []
    for n, fv in record.fields.items():
        if fv.method != "generic" or n in flagged:
            continue
        if n in parties and _by_place_only(finders.get(n, "")) and not known_layout:
            out.append(Issue("low_confidence", n, f"{n} was read only from where it is printed ({finders.get(n)}: "
                             "no legal form, no label); a person confirms it"))
            continue
        curve = calibrated(schema.fields[n].type, schema.name, finders.get(n, ""))
        if curve and fv.confidence >= t:
            continue
        if not curve and n in gold and not known_layout:
            out.append(Issue("low_confidence", n, f"confidence of {finders.get(n) or 'its finder'} never measured "
                             f"for {n} (no calibration curve); a person confirms it"))
            continue
        if fv.confidence >= t:
            continue
        alone = len(backing.get(n, frozenset())) < 2
        # a measured value below the threshold: required -> a person; optional -> left out when the
        # record lands (validate.unsure_optional), so no landed value is less sure than the threshold
        if curve or (schema.fields[n].required and n in parties and alone):
            got, need = _apart(fv.confidence, t)
            out.append(Issue("low_confidence", n, f"confidence {got} is below the calibrated landing "
                             f"threshold {need} ({finders.get(n)}{'' if curve else ', never measured'})"))
    return out


def _apart(value: float, threshold: float) -> tuple[str, str]:
    """Both numbers with as many decimals as it takes to tell them apart: a reviewer read
    "confidence 0.97 is below the calibrated landing threshold 0.97"."""
    for digits in range(2, 6):
        a, b = f"{value:.{digits}f}", f"{threshold:.{digits}f}"
        if a != b:
            break
    return a, b


def _by_place_only(family: str) -> bool:
    """A party's name read only from its place on the page: a line opening the document, over an
    address block ("company+address+top"), without a legal form or a label. Position is no proof
    of a name: a greeting or a slogan printed over the shop's address ("SELAMAT DATANG", "GOOD
    MORNING") is read the same way, and the development receipts hold no such layout for the
    calibration to measure (refitted, it put these families at 0.97-0.995 and landed them)."""
    base, *tags = family.split("+")
    return base == "company" and "legal" not in tags


__all__ = ["candidate_context", "extract_explained", "extract_generic"]
