"""What turns a parsed document into outcomes: loaded schemas, rules and LLM policy.

`map` classifies and maps (rules, then the generic extractor, then the LLM for the gaps);
`outcome_of` validates the records and decides, once, where the document ends.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipelines.model.document import Document, Reason, Status
from pipelines.land.catalog import review_id_for
from pipelines.llm.extractor import LLMExtractor, from_policy, off_gaps
from pipelines.llm.policy import Policy, PolicyError, check_against_schemas, load_policy
from pipelines.model.records import Issue, Record
from pipelines.map.mapper import MapResult, map_document
from pipelines.map.rules import RuleBook, load_rules
from pipelines.model.schema import Schema, load_schemas
from pipelines.run.extract_cache import ExtractCache, rules_version
from pipelines.run.outcome import LANDED, QUARANTINED, REVIEW, DocOutcome
from pipelines.storage import state_dir
from pipelines.validate.validator import unsure_optional, validate


class Mapper:
    """Loaded schemas, rules and LLM policy: what turns a parsed document into outcomes.
    `llm` is set per run (`with_llm`) when the policy leads to a configured endpoint."""

    def __init__(self, schemas: dict[str, Schema], book: RuleBook, policy: Policy | None = None) -> None:
        self.schemas = schemas
        self.book = book
        self.policy = policy or load_policy()
        problems = check_against_schemas(self.policy, schemas)
        if problems:
            raise PolicyError("; ".join(problems))
        self.llm: LLMExtractor | None = None
        self.decisions: dict[str, Any] = {}  # review_id -> a person's final decision (review/sticky.py)
        self.ramp: dict[str, tuple[int, int]] = {}  # rule set id -> (to confirm, confirmed): review/trust.py
        self.rules_version: str | None = None  # hash of the schema and rule files (from_dirs)
        self.cache: ExtractCache | None = None  # set per run (use_cache)

    @classmethod
    def from_dirs(cls, schemas_dir: str | Path, mappings_dir: str | Path) -> Mapper:
        from pipelines.map.learned_aliases import with_learned_aliases

        schemas = with_learned_aliases(load_schemas(schemas_dir), mappings_dir)
        mapper = cls(schemas, load_rules(mappings_dir, schemas))
        mapper.rules_version = rules_version(schemas_dir, mappings_dir)
        return mapper

    def use_cache(self, kb_root: str | Path) -> None:
        """Keep mapping results in the KB's state folder, so a re-run over unchanged documents
        with unchanged rules does not map them again (only a mapper loaded from folders knows
        its rules' version)."""
        if self.rules_version is not None:
            self.cache = ExtractCache(state_dir(kb_root), self.rules_version)

    def remember_decisions(self, kb_root: str | Path) -> None:
        """Load reviewers' final decisions so a re-run does not re-open what a person closed."""
        from pipelines.review.sticky import final_decisions

        from pipelines.review.trust import ramp_state

        self.decisions = final_decisions(kb_root)
        self.ramp = ramp_state(kb_root, self.book)

    def with_llm(self, kb_root: str | Path, batch_id: str) -> LLMExtractor | None:
        """Start this run's LLM step (its own budget and audit log); None when the LLM is off."""
        self.llm = from_policy(self.policy, self.schemas, self.book, kb_root, batch_id)
        return self.llm

    def map(self, doc: Document, parent: Document | None = None) -> MapResult:
        """Rules, then the generic extractor, then the LLM for what they left open."""
        if self.llm is None and self.cache is not None:
            cached = self.cache.get(doc, parent)
            if cached is not None:
                return cached
            result = map_document(doc, self.schemas, self.book, parent)
            self.cache.put(doc, parent, result)  # before judging, which drops unsure values
            return result
        result = map_document(doc, self.schemas, self.book, parent)
        if self.llm is None:
            return result
        if result.classification is None and self._decided(Record("unclassified", doc.id, doc.source_path)):
            return result  # a person already said what this document is (or is not)
        # Records a person already decided need no LLM: their decision is applied again.
        return self.llm.complete(doc, result, skip={r.record_id for r in result.records if self._decided(r)})

    def _decided(self, record: Record) -> Any:
        return self.decisions.get(review_id_for(record.schema, record.record_id))

    def outcomes(self, doc: Document) -> Iterator[DocOutcome]:
        """The outcome of a document and each of its attachments (depth first)."""
        yield from self._outcomes(doc, None)

    def _outcomes(self, doc: Document, parent: Document | None) -> Iterator[DocOutcome]:
        yield self.decide(doc, parent)
        for child in doc.children:
            yield from self._outcomes(child, doc)

    def decide(self, doc: Document, parent: Document | None = None) -> DocOutcome:
        if doc.status is Status.QUARANTINED:
            return DocOutcome(doc, QUARANTINED)
        return self.outcome_of(doc, self.map(doc, parent))

    def outcome_of(self, doc: Document, result: MapResult | None) -> DocOutcome:
        """Validate a document's mapped records and decide where it ends (None: quarantined)."""
        if result is None:
            return DocOutcome(doc, QUARANTINED)
        bad = next((f"{r.schema}.{n}" for r in result.records for n, fv in r.fields.items() if _unpaired(fv.value)), None)
        if bad is not None:
            # an escape such as "\udc80" in JSON or Python source decodes to half a character, which
            # no table (nor the review queue) can store: one such value would fail the whole batch's landing
            return DocOutcome(dataclasses.replace(doc).quarantine(
                Reason.UNDECODABLE, f"{bad} holds an unpaired UTF-16 surrogate (not a character): it cannot be stored"),
                QUARANTINED)
        if result.classification is None:
            rec = Record("unclassified", doc.id, doc.source_path)
            issue = Issue("unsupported_document", None, "no rule set, classifier or schema matches this document")
            decided = self._decided(rec)
            if decided is not None and decided.action == "reject":
                from pipelines.review.sticky import rejected_issue

                return DocOutcome(doc, REVIEW, [rec], {rec.record_id: [rejected_issue(decided)]}, kept={rec.record_id: "rejected"})
            return DocOutcome(doc, REVIEW, [rec], {rec.record_id: [issue]})
        issues = {r.record_id: validate(r, self.schemas[r.schema], doc)
                  for r in result.records}
        for r in result.records:
            drop = [] if self._decided(r) is not None else unsure_optional(r, self.schemas[r.schema], issues[r.record_id], doc)
            if drop:
                # an unsure optional value does not hold back a record whose other values are sure
                r.fields = {n: fv for n, fv in r.fields.items() if n not in drop}
                r.issues = [i for i in r.issues if i.field not in drop]
                issues[r.record_id] = validate(r, self.schemas[r.schema], doc)
        kept: dict[str, str] = {}
        for r in result.records:
            # a person's decision holds even when the rules now land the record by themselves:
            # a landed value never contradicts what a reviewer corrected or confirmed
            decided = self._decided(r)
            if decided is not None:
                from pipelines.review.sticky import reapply, status_of

                issues[r.record_id] = reapply(r, self.schemas[r.schema], decided)
                kept[r.record_id] = status_of(decided)
        guarded = {rs.id: rs.review_fields for rs in self.book.rule_sets if rs.review_fields}
        for r in result.records:
            for f in guarded.get(r.rule_set or "", []) if r.record_id not in kept else []:
                fv = r.fields.get(f)
                if fv is None or fv.method != "rule":
                    how = "no value" if fv is None else f"the {fv.method} value"
                    issues[r.record_id].append(Issue("unlearned_field", f, f"a person corrected {f} on this source and "
                                                     f"no rule of {r.rule_set} reads it: {how} needs a check"))
            if r.record_id not in kept and r.rule_set in self.ramp:
                need, done = self.ramp[r.rule_set]
                issues[r.record_id].append(Issue("trust_ramp", None, f"rule set {r.rule_set} is new: {done} of the "
                                                 f"first {need} documents it maps are confirmed by a person"))
        outcome = REVIEW if any(issues.values()) else LANDED
        gaps = 0
        if self.llm is None and outcome == REVIEW:
            gaps = off_gaps([r for r in result.records if issues[r.record_id]], self.schemas, doc, self.policy)
        return DocOutcome(doc, outcome, result.records, issues, result.classification.schema, gaps, kept)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _unpaired(value: Any) -> bool:
    """Whether a value (or a line item's part) holds a lone surrogate code point."""
    if isinstance(value, str):
        return not value.isascii() and _SURROGATE.search(value) is not None
    if isinstance(value, (list, tuple)):
        return any(_unpaired(v) for v in value)
    if isinstance(value, dict):
        return any(_unpaired(k) or _unpaired(v) for k, v in value.items())
    return False
