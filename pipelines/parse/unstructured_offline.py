"""Import `unstructured` so that it never touches the network.

Import `unstructured` through this module only (``from pipelines.parse.unstructured_offline
import partition_html`` …), never directly: the order matters.

unstructured 0.27.35 does three things over the network that we switch off here:

1. ``import unstructured`` sends a telemetry ping (``scarf_analytics``) and every public
   ``partition_*`` call sends another, unless ``DO_NOT_TRACK``/``SCARF_NO_ANALYTICS`` is set.
   We set both before the first import (and the per-call check re-reads them each call).
2. The first call that classifies text (``is_possible_narrative_text`` → ``pos_tag`` /
   ``sent_tokenize`` in ``unstructured.nlp.tokenize``) loads the spaCy model
   ``en_core_web_sm`` and, when it is missing, *downloads and pip-installs it* into
   site-packages at run time. We replace ``tokenize._get_nlp`` with a pipeline built from
   what the spaCy wheel itself ships: ``spacy.blank("en")`` (rule-based tokenizer), a
   ``sentencizer`` and a small rule-based part-of-speech component (below) that marks
   likely verbs. unstructured only uses the tags to ask "does this text contain a verb?"
   (``contains_verb``) when deciding NarrativeText vs Title/Text, so a verb heuristic is
   enough to keep one-sentence paragraphs classified as narrative text.
3. It prints a "usage notice" banner/log warning; ``UNSTRUCTURED_DISABLE_NOTICE=1`` hides it.

``partition_html(url=...)`` would fetch a URL: our parsers never pass ``url``.
"""

from __future__ import annotations

import os
import re
import sys

# -- 1 and 3: before `unstructured` is imported anywhere in this process --------------------
os.environ["DO_NOT_TRACK"] = "1"
os.environ["SCARF_NO_ANALYTICS"] = "true"
os.environ["UNSTRUCTURED_DISABLE_NOTICE"] = "1"

if "unstructured" in sys.modules:  # someone imported it first: the load-time ping may have run
    import logging

    logging.getLogger(__name__).warning(
        "unstructured was imported before pipelines.parse.unstructured_offline; "
        "its import-time telemetry ping may already have been attempted"
    )

import spacy  # noqa: E402
from spacy.language import Language  # noqa: E402
from spacy.tokens import Doc  # noqa: E402

import unstructured.nlp.tokenize as _tokenize  # noqa: E402

# -- 2: an offline NLP pipeline -------------------------------------------------------------

# Closed-class verbs (auxiliaries, modals) and frequent lexical verbs in their common forms.
_VERBS = frozenset(
    """
    be is am are was were been being 's 're 'm
    have has had having 've 'd
    do does did done doing
    will would shall should can could may might must 'll ca wo
    get gets got gotten getting make makes made making take takes took taken taking
    give gives gave given giving go goes went gone going come comes came coming
    see sees saw seen seeing know knows knew known knowing think thinks thought thinking
    say says said saying tell tells told telling find finds found finding use uses used using
    need needs needed needing want wants wanted wanting provide provides provided providing
    include includes included including contain contains contained require requires required
    pay pays paid paying send sends sent sending keep keeps kept keeping let lets put puts
    set sets run runs ran running show shows shown showed become becomes became
    hold holds held holding bring brings brought buy buys bought sell sells sold
    begin begins began begun leave leaves left meet meets met read reads write writes wrote
    written build builds built spend spends spent lose loses lost feel feels felt
    apply applies applied receive receives received agree agrees agreed allow allows allowed
    ensure ensures ensured remain remains remained report reports reported
    contact contacts contacted call calls called help helps helped offer offers offered
    sign signs signed ship ships shipped deliver delivers delivered charge charges charged
    cover covers covered review reviews reviewed note notes noted expire expires expired
    arose awoke bore beat began bent bit bled blew broke bred burnt burst caught chose clung
    crept dealt dug drew dreamt drank drove ate fell fed fought fled flew forbade forgot forgave
    froze grew hung heard hid hit hurt knelt laid led leant leapt learnt lent lay lit meant rode
    rang rose ran sought shook shone shot shrank shut sang sank sat slept slid spoke spun spread
    stood stole stuck stung struck swore swept swam swung taught tore threw understood woke wore
    wept won wrote rise rises grow grows fall falls increase increases decrease decreases
    """.split()
)
_NOT_VERB_ED = frozenset("red bed need seed feed speed bred shed sled hundred indeed".split())
_NOT_VERB_S = frozenset("this is was has does its his hers ours yours theirs us thus plus bus gas yes less news series".split())
_DETERMINERS = frozenset("the a an this that these those our your their its his her my each every any no some".split())
_SUBJECT_PRONOUNS = frozenset("i we they you he she it who which that".split())
_MODALS = frozenset("to will would can could should must may might shall".split())
_WORD = re.compile(r"^[A-Za-z][A-Za-z'-]*$")


def _guess_tag(word: str, prev: str | None, prev2: str | None) -> str:
    """A Penn-style tag good enough for one question: is this word a verb?"""
    w = word.lower()
    if not _WORD.match(word):
        if any(ch.isdigit() for ch in word):
            return "CD"
        return "." if not any(ch.isalnum() for ch in word) else "NN"
    if w in _VERBS:
        return "VBZ" if w.endswith("s") and len(w) > 2 else "VB"
    if w in _DETERMINERS:
        return "DT"
    if prev in _MODALS:
        return "VB"  # "to deliver", "will arrive"
    if prev in _SUBJECT_PRONOUNS and len(w) > 2:
        return "VBZ" if w.endswith("s") else "VBP"  # "we ship", "it arrives"
    if len(w) > 4 and w.endswith("ed") and w not in _NOT_VERB_ED:
        return "VBD"
    if len(w) > 5 and w.endswith("ing"):
        return "VBG"
    if (
        prev2 in _DETERMINERS and prev is not None and prev.isalpha() and prev not in _DETERMINERS
        and len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")) and w not in _NOT_VERB_S
    ):
        return "VBZ"  # "the contract renews", "each invoice lists"
    return "NN"


@Language.component("mapper_heuristic_tagger")
def _heuristic_tagger(doc: Doc) -> Doc:
    prev: str | None = None
    prev2: str | None = None
    for token in doc:
        token.tag_ = _guess_tag(token.text, prev, prev2)
        prev2, prev = prev, token.text.lower()
    return doc


def _build_offline_nlp() -> Language:
    nlp = spacy.blank("en")  # tokenizer rules ship inside the spacy wheel: no model, no download
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("mapper_heuristic_tagger")
    return nlp


_NLP: Language | None = None


def _get_nlp() -> Language:
    global _NLP
    if _NLP is None:
        _NLP = _build_offline_nlp()
    return _NLP


def _refuse_download() -> None:
    raise RuntimeError("spaCy model download is disabled (pipelines.parse.unstructured_offline)")


_tokenize._get_nlp = _get_nlp  # type: ignore[assignment]  # `_run_pipeline` looks it up per call
_tokenize._load_spacy_model = _get_nlp  # type: ignore[assignment]  # belt and braces
_tokenize._install_spacy_model = _refuse_download  # type: ignore[assignment]

# -- re-exports: import these from here --------------------------------------------------------
from unstructured.documents.elements import Element as UElement  # noqa: E402
from unstructured.partition.html import partition_html  # noqa: E402


__all__ = ["UElement", "partition_html"]
