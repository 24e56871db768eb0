"""The vocabulary of agreements (`contract_language.yaml`), compiled once, and the binding of
its roles (parties, effective date, term, governing law) to a schema's fields by their aliases."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


from pipelines.map.normalize.words import UNIT_MONTHS
from pipelines.model.schema import FieldSpec, Schema
from pipelines.model.yaml_file import read_yaml

LANGUAGE_FILE = Path(__file__).with_name("contract_language.yaml")
ROLE_TYPES = {"title": ("string", "text"), "parties": ("list",), "effective": ("date",), "duration": ("months",), "law": ("string", "text")}


def _alt(phrases: list[str]) -> str:
    # longest first, so "by and between" wins over "between"
    return "|".join(f"(?:{p})" for p in sorted(phrases, key=len, reverse=True))


def _weighted(items: list[dict[str, object]], template: str) -> tuple[tuple[re.Pattern[str], float], ...]:
    return tuple((re.compile(template.format(str(i["phrase"])), re.IGNORECASE), float(i["strength"])) for i in items)  # type: ignore[arg-type]


@dataclass(frozen=True, eq=False)
class Language:
    roles: dict[str, frozenset[str]]
    title_word: re.Pattern[str]
    opener: re.Pattern[str]
    joiner: re.Pattern[str]
    stopwords: frozenset[str]
    person_suffix: re.Pattern[str]
    legal_extra: str
    legal_short: dict[str, str]
    signature: re.Pattern[str]
    date_before: tuple[tuple[re.Pattern[str], float], ...]
    date_defined: re.Pattern[str]
    term_cues: tuple[tuple[re.Pattern[str], float], ...]
    term_against: re.Pattern[str]
    duration: re.Pattern[str]
    anniversary: re.Pattern[str]
    ordinals: dict[str, int]
    law_phrase: re.Pattern[str]
    law_suffix: re.Pattern[str]
    law_cue: re.Pattern[str]
    law_against: re.Pattern[str]
    law_prefixes: frozenset[str]
    sentence_stops: re.Pattern[str]


@lru_cache(maxsize=4)
def load_language(path: Path = LANGUAGE_FILE) -> Language:
    raw = read_yaml(path)
    units = _alt([re.escape(u) for u in UNIT_MONTHS if len(u) > 2])
    fillers = _alt([re.escape(w) for w in raw["date_fillers"]])
    ordinals = {str(k).casefold(): int(v) for k, v in raw["ordinals"].items()}
    ordinal_alt = _alt([re.escape(k) for k in ordinals] + [r"\d{1,2}(?:st|nd|rd|th)"])
    return Language(
        roles={role: frozenset(a.casefold() for a in aliases) for role, aliases in raw["roles"].items()},
        title_word=re.compile(rf"(?<!\w)(?:{_alt(raw['title_words'])})(?!\w)", re.IGNORECASE),
        opener=re.compile(rf"(?<!\w)(?:{_alt(raw['party_openers'])})(?!\w)\s*:?", re.IGNORECASE),
        joiner=re.compile(rf"(?:{_alt(raw['party_joiners'])})\s", re.IGNORECASE),
        stopwords=frozenset(w.casefold() for w in raw["party_stopwords"]),
        person_suffix=re.compile(rf",?\s*(?:{_alt(raw['person_suffixes'])})\s*$"),
        legal_extra=_alt(raw["legal_forms_extra"]),
        legal_short={str(k): str(v) for k, v in raw["legal_form_short"].items() if k != v},
        signature=re.compile(rf"^\s*(?:{_alt(raw['signature_marks'])})", re.IGNORECASE | re.MULTILINE),
        date_before=_weighted(raw["date_before"], r"(?<!\w)(?:{})(?:\s+(?:" + fillers + r"))*[\s,:]*$"),
        date_defined=re.compile(rf"^[\s,]*\(?\s*(?:the|this|hereinafter)?\s*[“\"'‘]?\s*(?:{_alt(raw['date_defined_as'])})", re.IGNORECASE),
        term_cues=_weighted(raw["term_cues"], r"(?<!\w)(?:{})"),
        term_against=re.compile(rf"(?<!\w)(?:{_alt(raw['term_against'])})", re.IGNORECASE),
        duration=re.compile(
            rf"(?<![\w-])(?:(?:[^\W\d_]+[- ]){{0,3}}[^\W\d_]+\s*)?(?:\(\s*\d+(?:\.\d+)?\s*\)\s*)?(?:\d+(?:\.\d+)?\s*)?"
            rf"(?:calendar\s+)?(?:{units})(?!\w)", re.IGNORECASE),
        anniversary=re.compile(rf"(?<!\w)(?P<n>{ordinal_alt})\s+(?:\(\d+(?:st|nd|rd|th)?\)\s+)?(?:{raw['anniversary']})", re.IGNORECASE),
        ordinals=ordinals,
        law_phrase=re.compile(rf"(?<!\w)(?:{_alt(raw['law_phrases'])})\s+", re.IGNORECASE),
        law_suffix=re.compile(rf"\s+(?:{_alt(raw['law_suffixes'])})(?!\w)"),
        law_cue=re.compile(rf"(?<!\w)(?:{_alt(raw['law_cues'])})", re.IGNORECASE),
        law_against=re.compile(rf"(?<!\w)(?:{_alt(raw['law_against'])})", re.IGNORECASE),
        law_prefixes=frozenset(raw["law_prefixes"]),
        sentence_stops=re.compile(rf"(?<!\w)(?:{_alt(raw['sentence_stops'])})(?!\w)"),
    )


def bind_roles(schema: Schema, lang: Language) -> dict[str, str]:
    """role -> field name, for the schema's fields whose aliases (or name) name a role and whose
    type fits it. A schema without such fields gets nothing from the contract finders."""
    bound: dict[str, str] = {}
    for name, spec in schema.fields.items():
        names = {a.casefold() for a in spec.aliases} | {name.replace("_", " ").casefold()}
        for role, aliases in lang.roles.items():
            if role not in bound and names & aliases and _fits(role, spec):
                bound[role] = name
    return bound


def _fits(role: str, spec: FieldSpec) -> bool:
    if spec.type not in ROLE_TYPES[role]:
        return False
    return spec.type != "list" or spec.items in ("string", "text")
