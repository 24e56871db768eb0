"""The LLM step of mapping: after rules and the generic extractor, only for what they left open.

For each document whose record still has gaps (required fields missing, values invalid or
unsure, a failed cross-field check on values the rules did not set) it sends the relevant,
redacted parts of the document with a response model of just those fields, restores the
answer and keeps a value only when its quote is found in the document and supports it.
Documents rules cannot place are classified the same way. Every call, cache hit and refusal
is audited; the run's budget is the stopgap; failures send the document to review.
"""

from __future__ import annotations

import ast
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from pipelines.model.document import Document
from pipelines.land.kb import KnowledgeBase
from pipelines.llm import prompts
from pipelines.llm.audit import AuditLog
from pipelines.llm.budget import RunBudget
from pipelines.llm.cache import AnswerCache, cache_key
from pipelines.llm.chunk import relevant_text
from pipelines.llm.endpoint import CallResult, Endpoint
from pipelines.llm.field_fit import SETTLED, FieldEvidence, llm_confidence, same_value, settle
from pipelines.llm.grounding import find_quote, ground_value
from pipelines.validate.injection import overlaps, suspicious_spans
from pipelines.llm.policy import Policy
from pipelines.llm.redact import Redactor, names_from_document
from pipelines.map.classify import Classification
from pipelines.model.records import Evidence, FieldValue, Issue, Record
from pipelines.map.extract import extract_generic
from pipelines.map.mapper import MapResult
from pipelines.map.rules import RuleBook
from pipelines.model.schema import Schema
from pipelines.validate.validator import unsure_optional, validate

if TYPE_CHECKING:
    from pipelines.llm.client import LLMClient

GAP_CODES = {"missing_required", "invalid_value", "low_confidence", "conflict"}
SETTLED_METHODS = SETTLED  # values a person coached; the LLM never replaces them


def _check_fields(expr: str) -> set[str]:
    try:
        return {n.id for n in ast.walk(ast.parse(expr, mode="eval")) if isinstance(n, ast.Name)}
    except SyntaxError:
        return set()


def gap_fields(record: Record, schema: Schema, doc: Document | None) -> list[str]:
    """Fields the rules left open on this record, in schema order; [] when rules settled it.
    List fields (line items) are left to rules: a table is not a quote."""
    issues = validate(record, schema, doc)
    if unsure_optional(record, schema, issues, doc):
        return []  # it lands without its unsure optional values (run.mapper): nothing to ask
    gaps = {i.field for i in issues if i.code in GAP_CODES and i.field in schema.fields}
    checks = {c.name: c for c in schema.checks}
    for i in issues:
        if i.code == "failed_check" and i.field in checks:
            gaps |= {n for n in _check_fields(checks[i.field].expr)
                     if n in schema.fields and record.fields.get(n, FieldValue(None, "", 0)).method not in SETTLED_METHODS}
    if not gaps:
        return []
    # While a call is made anyway, also ask for the optional fields nothing found.
    gaps |= {n for n, s in schema.fields.items() if n not in record.fields and not s.required}
    return [n for n, s in schema.fields.items() if n in gaps and s.type != "list"]


@dataclass
class LLMStats:
    documents_considered: int = 0  # documents with gaps the policy lets the LLM try
    calls: int = 0  # requests that reached the endpoint (one per document and purpose)
    cache_hits: int = 0
    failed: int = 0
    budget_refused: int = 0
    unavailable: int = 0  # calls not sent: the endpoint's breaker was open or the run's deadline passed
    classified: int = 0
    fields_requested: int = 0
    fields_filled: int = 0
    fields_rejected: int = 0  # answers without supporting evidence
    prompt_tokens: int = 0
    completion_tokens: int = 0
    chars_in_documents: int = 0
    chars_sent: int = 0
    suspicious_documents: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class _Call:
    answer: BaseModel | None
    outcome: str  # ok | cached | failed | budget | unavailable
    error: str | None = None


@dataclass
class LLMExtractor:
    policy: Policy
    schemas: dict[str, Schema]
    book: RuleBook
    kb_root: Path
    batch_id: str
    stats: LLMStats = field(default_factory=LLMStats)

    def __post_init__(self) -> None:
        self.cache = AnswerCache(self.kb_root)
        self.budget = RunBudget(self.policy.budget)
        self.audit = AuditLog(self.batch_id)
        self._clients: dict[str, LLMClient] = {}
        limit = self.policy.budget.max_seconds_per_run
        self.deadline = time.monotonic() + limit if limit else None  # shared by every endpoint of the run

    # ---- the step ----------------------------------------------------------------------

    def complete(self, doc: Document, result: MapResult, skip: set[str] = frozenset()) -> MapResult:  # type: ignore[assignment]
        """Classify an unplaced document and fill its records' gaps; records gain issues
        (ungrounded, llm_failed, llm_budget, suspicious_content) where people must look."""
        suspicious = suspicious_spans(doc.text)
        # hidden text is never sent or quoted, but an instruction hidden in it still says what the document is
        orders = [doc.text[s:e] for s, e in suspicious[:1]] or [
            h["text"] for h in doc.hidden_text if suspicious_spans(h["text"])][:1]
        if result.classification is None:
            result = self._classify(doc, result, suspicious)
            if result.classification is None:
                return result
        if result.classification.records != "one":
            return result  # data rows come from structure, not prose
        for record in result.records:
            if record.record_id in skip:
                continue
            schema = self.schemas[record.schema]
            wanted = self.policy.allowed_fields(schema.name, gap_fields(record, schema, doc))
            if not wanted:
                continue
            self.stats.documents_considered += 1
            if orders:
                self.stats.suspicious_documents += 1
                record.issues.append(Issue("suspicious_content", None, "the document contains text addressed to an AI "
                                           f"({orders[0].strip()[:80]!r}); a person should check it"))
            self._fill(doc, schema, record, wanted, suspicious)
        return result

    def _client(self, ep: Endpoint) -> LLMClient:
        if ep.name not in self._clients:
            # imported on the first call: openai and instructor cost about 1 s of CPU to import,
            # which every process (parse workers, `mapper --help`) paid even without an endpoint
            from pipelines.llm.client import LLMClient

            self._clients[ep.name] = LLMClient(ep, deadline=self.deadline)
        return self._clients[ep.name]

    def _fill(self, doc: Document, schema: Schema, record: Record, wanted: list[str], suspicious: list[tuple[int, int]]) -> None:
        route = self.policy.route(schema.name)
        ep = self.policy.endpoint(route.endpoint) if route else None
        if ep is None:
            return
        redactor = Redactor(self.policy.redact, names=names_from_document(doc) if "name" in self.policy.redact else ())
        field_text = prompts.field_lines(schema, wanted, prompts.examples_for(self.book, schema.name))
        model = prompts.extraction_model(schema, wanted)
        # the response model's JSON schema travels too (tool parameters, or pasted into md_json prompts)
        overhead = sum(len(m["content"]) for m in prompts.extraction_messages(schema, field_text, doc.name, ""))
        overhead += len(json.dumps(model.model_json_schema(), indent=2))
        passages = relevant_text(doc, schema, wanted, max(500, self.policy.max_chars_per_call - overhead))
        messages = prompts.extraction_messages(schema, redactor.redact(field_text), redactor.redact(doc.name),
                                               redactor.redact(passages.text))
        self.stats.fields_requested += len(wanted)
        self.stats.chars_in_documents += passages.full_chars
        call = self._call(ep, messages, model, doc, schema, "extract", wanted, redactor, passages.full_chars)
        if call.answer is None:
            code = {"budget": "llm_budget", "unavailable": "llm_unavailable"}.get(call.outcome, "llm_failed")
            what = {"llm_budget": "the run's LLM budget is spent",
                    "llm_unavailable": f"the LLM endpoint is not called ({call.error})"}.get(code, f"the LLM call failed ({call.error})")
            record.issues.append(Issue(code, None, f"{what}; fields left for a person: {', '.join(wanted)}"))
            return
        grounded, rejected = [], []
        where = FieldEvidence(doc, schema)
        for name in wanted:
            ans = getattr(call.answer, name, None)
            if ans is None or not (ans.value or "").strip():
                continue
            value, quote = redactor.restore(ans.value), redactor.restore(ans.quote or "")
            g = ground_value(doc.text, schema.fields[name], value, quote, min_score=self.policy.min_quote_score)
            if g.ok and g.span and overlaps((g.span.start, g.span.end), suspicious):
                g.ok, g.reason = False, "its quote comes from text addressed to an AI"
            fit = where.fit(name, g.value, g.span.start, g.span.end) if g.ok and g.span else None
            if fit is not None and not fit.ok:
                g.ok, g.reason = False, f"its quote is no evidence for {name}: {fit.reason}"
            if not g.ok or g.span is None or fit is None:
                rejected.append(name)
                record.issues.append(Issue("ungrounded", name, f"the LLM proposed {value[:80]!r} but {g.reason}"))
                continue
            grounded.append(name)
            corroboration = fit.corroboration
            current = record.fields.get(name)
            if current is not None and current.method != "llm" and same_value(current.value, g.value):
                corroboration = max(corroboration or 0.0, current.confidence)  # the record's own reading agrees
            proposed = FieldValue(
                g.value, "llm", llm_confidence(self.policy.confidence * g.span.score, corroboration, schema),
                rule_id=f"llm:{ep.name}:{ep.model}",
                evidence=Evidence(doc.id, g.span.start, g.span.end, g.span.text, doc.page_at(g.span.start)), raw=value)
            settle(record, name, proposed)
        self.stats.fields_filled += len(grounded)
        self.stats.fields_rejected += len(rejected)
        if self.audit.rows:
            self.audit.rows[-1].update(fields_grounded=grounded, fields_rejected=rejected)

    def _classify(self, doc: Document, result: MapResult, suspicious: list[tuple[int, int]]) -> MapResult:
        c = self.policy.classify
        ep = self.policy.endpoint(c.endpoint) if c.enabled else None
        kinds = self.policy.classify_schemas(sorted(self.schemas))
        if ep is None or not kinds or not doc.text.strip():
            return result
        redactor = Redactor(self.policy.redact, names=names_from_document(doc) if "name" in self.policy.redact else ())
        text = doc.text[: self.policy.max_chars_per_call - 1500]
        messages = prompts.classification_messages({k: self.schemas[k].description for k in kinds},
                                                   redactor.redact(doc.name), redactor.redact(text))
        call = self._call(ep, messages, prompts.classification_model(kinds), doc, None, "classify", [], redactor, len(doc.text))
        if call.answer is None or call.answer.kind == "none":
            return result
        quote = redactor.restore(call.answer.quote or "")
        span = find_quote(doc.text, quote, min_score=self.policy.min_quote_score)
        if span is None or overlaps((span.start, span.end), suspicious):
            return result  # an unsupported classification is no classification
        self.stats.classified += 1
        schema = self.schemas[call.answer.kind]
        decided = f"llm:{ep.name}:{ep.model}"
        record = extract_generic(doc, schema)
        record.classifier = decided
        return MapResult(doc, Classification(schema.name, "one", decided), [record])

    # ---- one call: budget, cache, client, audit ---------------------------------------------

    def _call(self, ep: Endpoint, messages: list[dict[str, str]], model: type[BaseModel], doc: Document,
              schema: Schema | None, purpose: str, fields: list[str], redactor: Redactor, doc_chars: int) -> _Call:
        chars = sum(len(m["content"]) for m in messages)
        key = cache_key(ep.model, messages, schema.name if schema else "-", schema.version if schema else 0, doc.id)
        base = dict(document_id=doc.id, source_path=doc.source_path, schema=schema.name if schema else None,
                    purpose=purpose, endpoint=ep.name, model=ep.model, fields_requested=fields,
                    chars_sent=chars, chars_in_document=doc_chars, redactions=redactor.counts)
        self.stats.chars_sent += chars
        hit = self.cache.get(key)
        if hit is not None:
            try:
                answer = model.model_validate(hit["answer"])
            except Exception:  # a cached answer from an older response model: ask again
                answer = None
            if answer is not None:
                self.stats.cache_hits += 1
                self.audit.add(**base, mode=hit.get("mode"), prompt_tokens=0, completion_tokens=0, latency_ms=0.0,
                               estimated_cost=0.0, cache_hit=True, attempts=0, outcome="cached")
                return _Call(answer, "cached")
        refusal = self.budget.refusal(chars // 4 + ep.max_output_tokens)
        if refusal:
            self.stats.budget_refused += 1
            self.audit.add(**base, cache_hit=False, attempts=0, outcome="budget", error=refusal)
            return _Call(None, "budget", refusal)
        res: CallResult = self._client(ep).complete(messages, model)
        if res.error_kind == "unavailable":  # the breaker is open or the deadline passed: nothing was sent
            self.stats.unavailable += 1
            self.audit.add(**base, cache_hit=False, attempts=0, outcome="unavailable", error=res.error)
            return _Call(None, "unavailable", res.error.split(": ", 1)[-1] if res.error else None)
        cost = res.estimated_cost(ep)
        self.budget.spend(res.prompt_tokens + res.completion_tokens, cost)
        self.stats.calls += 1
        self.stats.prompt_tokens += res.prompt_tokens
        self.stats.completion_tokens += res.completion_tokens
        ok = res.parsed is not None
        self.audit.add(**base, mode=res.mode, prompt_tokens=res.prompt_tokens, completion_tokens=res.completion_tokens,
                       latency_ms=res.latency_ms, estimated_cost=cost, cache_hit=False, attempts=res.attempts,
                       outcome="ok" if ok else "failed", error=res.error)
        if not ok:
            self.stats.failed += 1
            return _Call(None, "failed", res.error)
        self.cache.put(key, {"answer": res.parsed.model_dump(mode="json"), "mode": res.mode,
                             "prompt_tokens": res.prompt_tokens, "completion_tokens": res.completion_tokens})
        return _Call(res.parsed, "ok")

    def flush(self) -> int:
        """Write the audit rows collected so far to the KB (`llm_calls`)."""
        return self.audit.flush(KnowledgeBase(self.kb_root))


def from_policy(policy: Policy, schemas: dict[str, Schema], book: RuleBook, kb_root: str | Path,
                batch_id: str) -> LLMExtractor | None:
    """The extractor when the policy leads somewhere; None (rules-only) when no endpoint is configured."""
    if not policy.enabled:
        return None
    return LLMExtractor(policy, schemas, book, kb_root, batch_id)


def off_gaps(records: list[Record], schemas: dict[str, Schema], doc: Document, policy: Policy) -> int:
    """With the LLM off: how many fields of these records an LLM would have been asked for."""
    return sum(len(policy.allowed_fields(r.schema, gap_fields(r, schemas[r.schema], doc)))
               for r in records if r.schema in schemas)


def summary_line(stats: dict[str, Any] | None, off_fields: int) -> str:
    if not stats:
        return (f"LLM: off (no endpoint configured); rules-only extraction. {off_fields} field(s) left for review "
                "that the LLM could have tried (set MAPPER_LLM_BASE_URL, see README).")
    return (f"LLM: {stats['calls']} call(s), {stats['cache_hits']} cached, {stats['failed']} failed, "
            f"{stats['budget_refused']} refused by the budget, {stats.get('unavailable', 0)} not sent (endpoint unavailable); {stats['fields_filled']} field(s) filled with evidence, "
            f"{stats['fields_rejected']} rejected as ungrounded; {stats['prompt_tokens'] + stats['completion_tokens']} tokens.")
