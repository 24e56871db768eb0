"""Company finder: names with a legal form, the prominent line at the top, name-like header lines
and web/e-mail domains for issuer-role fields; the title finder.
"""

from __future__ import annotations
import re
from dataclasses import replace
from pipelines.model.document import Kind, Word
from pipelines.map.normalize import NormalizeError
from pipelines.map.extract.context import Cand, Ctx, fold_text, norm_value
from pipelines.model.layout import Line
from pipelines.model.schema import Schema
from pipelines.map.extract.labels import fold_label
from pipelines.map.extract.memo import per_schema
from pipelines.map.extract.misread import legal_word
from pipelines.map.extract.pairing import segments
from pipelines.map.extract.vocab import DOC_TYPE_WORDS, DOMAIN_RE, ISSUER_CUES, LEGAL_FORM, NAME_CONNECTORS, NAME_WORDS, TITLE_CUES
from pipelines.map.extract.zones import customer_regions, in_regions, role_fields


def name_back(text: str, a: int, b: int, form_start: int, ocr: bool = False) -> int | None:
    """Start of the company name that ends with the legal form at form_start (walk back over
    capitalised words and connectors; stop at lower-case words, labels and sentence ends).
    `ocr`: the text was read by OCR, where an initial may come out as a look-alike digit ("K.1.T.")."""
    toks = [(m.start() + a, m.end() + a, m.group()) for m in re.finditer(r"\S+", text[a:form_start])]
    start = None
    n = 0
    for s, e, t in reversed(toks):
        core = t.rstrip(",")
        if core.endswith(":") or core in ("-", "–", "|", "•", "/"):
            break
        if _INITIALS.fullmatch(core) or ocr and _OCR_INITIALS.fullmatch(core):
            start = s  # initials ("A.B.C.", "K.L.M."): part of the name, not a sentence end
            n += 1
            continue
        if core.endswith(".") and len(core) > 4 and n > 0 and not LEGAL_FORM.fullmatch(core):
            break
        if core.endswith(".") and len(core) > 4 and n == 0 and core[:-1].isalpha() and core.isupper():
            break  # "FACTUUR. Coolblue B.V."
        if core.lower() in NAME_CONNECTORS and n > 0:
            start = s
            continue
        if not (any(c.isupper() for c in core) or core[:1].isdigit()):
            break
        if fold_text(core.strip(".,")) in DOC_TYPE_WORDS:
            break
        start = s
        n += 1
        if n >= 6:
            break
    if start is None:
        return None
    # a name does not start with a connector, except a capitalised particle that opens its
    # column ("Van Dijk B.V.", "La Forge SARL", "De Vries GmbH")
    words = list(re.finditer(r"\S+", text[start:form_start]))
    while words and words[0].group().lower() in NAME_CONNECTORS:
        w = words[0].group()
        if w[:1].isupper() and w.isalpha() and len(w) >= 2 and not text[a:start + words[0].start()].strip():
            break
        words.pop(0)
    if not words:
        return None
    return start + words[0].start()


_INITIALS = re.compile(r"\(?(?:[^\W\d_]\.){2,}\)?")
# one initial read as a look-alike digit (I as 1, D or O as 0, S as 5, B as 8), among letters
_OCR_INITIALS = re.compile(r"\(?(?=(?:[^\W\d_]\.)*[0158]\.(?:[^\W\d_]\.)*\)?$)(?:[^\W\d_]\.|[0158]\.){2,}\)?")


_TOKEN = re.compile(r"(?<![^\W_])[^\W_]{3,7}(?![^\W_])")


def read_legal_forms(text: str) -> str:
    """`text` (read by OCR) with legal-form words misread by one look-alike letter read back, where
    the word then completes a legal form with its neighbour ("SON BHD" -> "SDN BHD") or ends its
    line ("TRADING LT0" -> "TRADING LTD"; not SDN, which never stands alone). Same length."""
    out = text
    for m in _TOKEN.finditer(text):
        word = legal_word(m.group())
        if word is None:
            continue
        fixed = out[:m.start()] + word + out[m.end():]
        for lm in LEGAL_FORM.finditer(fixed, max(0, m.start() - 12), min(len(fixed), m.end() + 12)):
            if lm.start() <= m.start() and lm.end() >= m.end() and (
                    lm.end() - lm.start() > len(word) + 1
                    or word != "SDN" and re.match(r"[ .,)]*(?:\n|$)", fixed[m.end():])):
                out = fixed
                break
    return out


def _read_initials(name: str) -> str:
    """Initials OCR read as look-alike digits, read back as the letters they are ("K.1.T." -> "K.I.T.")."""
    return re.sub(r"\S+", lambda m: m.group().translate(_DIGIT_LETTERS) if _OCR_INITIALS.fullmatch(m.group()) else m.group(), name)


_DIGIT_LETTERS = str.maketrans("0158", "OISB")


def _domains(ctx: Ctx) -> set[str]:
    out: set[str] = set()
    for m in DOMAIN_RE.finditer(ctx.doc.text):
        host = m.group(1).lower()
        tld = host.rsplit(".", 1)[-1]
        if len(tld) != 2 and tld not in _TLDS:
            continue  # "J.SMITH", "IND.EST": initials and abbreviations, not a web address
        parts = [p for p in host.split(".") if p not in ("www", "com", "co", "org", "net", "uk", "de", "nl", "fr", "in", "io", "eu", "example", "gov", "ac")]
        for p in parts:
            out.add(re.sub(r"[^a-z0-9]", "", p))
            for piece in p.split("-"):
                if len(piece) >= 4:
                    out.add(piece)
    ctx_doc_meta = ctx.doc.metadata.get("email") or {}
    if ctx_doc_meta.get("from_address"):
        host = str(ctx_doc_meta["from_address"]).rsplit("@", 1)[-1].lower()
        out.update(re.sub(r"[^a-z0-9]", "", p) for p in host.split(".")[:-1])
    return {d for d in out if len(d) >= 3}


_TLDS = frozenset({"com", "net", "org", "info", "biz", "shop", "store", "online", "site", "app", "io", "eu", "gov", "edu", "asia"})


def _domain_match(name: str, domains: set[str]) -> bool:
    words = [re.sub(r"[^a-z0-9]", "", fold_text(w)) for w in name.split()]
    words = [w for w in words if w and not LEGAL_FORM.fullmatch(w.upper()) and w not in ("the",)]
    if not words:
        return False
    joined = "".join(words)
    for d in domains:
        if joined == d or (len(joined) >= 4 and (joined in d or d in joined) and len(d) >= 4):
            return True
        if len(words[0]) >= 4 and (d.startswith(words[0]) or words[0] == d):
            return True
    return False


_BRACKETED_ID = re.compile(r"\(\s*[\w\-./ ]*\d[\w\-./ ]*\)")  # "(249336-T)" after a legal form


def company_candidates(ctx: Ctx) -> None:
    targets = [n for n in role_fields(ctx.schema, ISSUER_CUES) if ctx.wants(n)]
    if not targets:
        return
    ocr = "ocr" in ctx.doc.metadata
    text = read_legal_forms(ctx.doc.text) if ocr else ctx.doc.text  # same length: offsets hold
    regions = customer_regions(ctx)
    domains = _domains(ctx)
    page_h = {p.number: p.height for p in ctx.doc.pages if p.height}
    # "Near the top" is measured in the page's text, not its paper: a receipt photographed or
    # scanned on a sheet starts a third of the way down it.
    extent: dict[int, tuple[float, float]] = {}
    for ln in ctx.idx.lines:
        if ln.top is not None and ln.bottom is not None and ln.page in page_h:
            lo, hi = extent.get(ln.page, (ln.top, ln.bottom))
            extent[ln.page] = (min(lo, ln.top), max(hi, ln.bottom))

    def rel_top(line: Line) -> float:
        lo, hi = extent[line.page]  # type: ignore[index]
        return (line.top - lo) / (hi - lo) if hi > lo else 0.0  # type: ignore[operator]

    found: list[tuple[int, int, float, str]] = []  # start, end, score, kind
    first_page = min((ln.page for ln in ctx.idx.lines if ln.page is not None), default=None)
    n_lines = len(ctx.idx.lines)

    def position(line: Line) -> float:
        if line.top is not None and line.page in page_h:
            rel = rel_top(line)
            base = 1.0 - 0.45 * min(rel, 1.0)
            return base if line.page == first_page else base * 0.6
        return max(0.4, 1.0 - 0.03 * line.index) if line.index < n_lines else 0.4

    for line in ctx.idx.lines:
        if line.element.kind in (Kind.EMAIL_HEADER, Kind.CODE_DATA, Kind.CODE):
            continue
        for a, b in segments(text, line.start, line.end):
            for m in LEGAL_FORM.finditer(text, a, b):
                s = name_back(text, a, b, m.start(), ocr)
                rest = text[m.end():b].strip()
                if s is None and (text[a:m.start()].strip() or line.index <= 0 or rest and not _BRACKETED_ID.fullmatch(rest)):
                    continue  # ("SARL au capital de ...": the legal status of the name above, not its end)
                alone = s is None  # "MAPLE BOOKSTORES / SDN BHD": the legal form alone on its line
                s = a if s is None else s
                if text[s:m.start()].strip() and not re.search(r"[^\W\d_]", text[s:m.start()]):
                    continue  # a number before a two-letter word: a postcode ("1234 AB"), no name
                e = m.end()
                joined = False
                if (s == a or text[a:s].strip() == "&") and line.index > 0:
                    s0, s = s, _continued(ctx, line, s, e)
                    # joined to the line above only by the "&" or bracket it opens with: that line may be a
                    # greeting or a person's name ("GOOD DAY / & SONS HARDWARE SDN BHD"), so the reading is
                    # judged apart (calibration.CONFLICTS) and a person confirms it until it is measured
                    joined = s != s0 and (text[s0:e].startswith("(") or text[a:s0].strip() == "&")
                if alone and s == a:
                    continue  # no name above it: a legal form alone is no name
                if in_regions(ctx, regions, s, e):
                    continue
                if _label_words(ctx, text[s:e]) >= 2:
                    continue  # a row of column headers ("QTY PRICE AMT INC."), not a name
                weight = 0.5
                seg = text[a:b]
                if len(m.group().strip(".")) <= 2 and seg.upper() == seg:
                    weight = 0.2  # "AS", "SA", "AG" in an all-capitals line are as often plain words
                found.append((s, e, weight * position(line), "legal+joined" if joined else "legal"))
    # prominent and name-like lines near the top of the first page
    top_lines = [_placed(ln) for ln in ctx.idx.lines if ln.page == first_page]
    geo = [ln for ln in top_lines if ln.words and ln.top is not None and ln.page in page_h]
    if geo:
        heights = sorted(max(w.bbox.y1 - w.bbox.y0 for w in ln.words) for ln in geo if ln.words)  # type: ignore[union-attr]
        median = heights[len(heights) // 2] if heights else 0.0
        near_top = [ln for ln in geo if rel_top(ln) < 0.3]
        for ln in near_top:
            h = max(w.bbox.y1 - w.bbox.y0 for w in ln.words)  # type: ignore[union-attr]
            prominent = median > 0 and h >= 1.25 * median
            for a, b in _name_like_segments(ctx, ln):
                if in_regions(ctx, regions, a, b):
                    continue
                if ln.in_table and ln.words and not any(w.start <= a < w.end + 1 for w in ln.words):
                    continue  # a placed table row: only its first cell may be a letterhead's line
                found.append((a, b, (0.45 if prominent else 0.15) * position(ln), "prominent" if prominent else "top"))
    else:
        first = [ln for ln in ctx.idx.lines[:8] if ln.element.kind not in (Kind.EMAIL_HEADER,)]
        for ln in first[:4]:
            for a, b in _name_like_segments(ctx, ln):
                if in_regions(ctx, regions, a, b):
                    continue
                found.append((a, b, 0.3 * position(ln), "top"))
                break
    for name in targets:
        spec = ctx.schema.fields[name]
        for s, e, score, kind in found:
            raw = text[s:e]
            try:
                value = norm_value(ctx, spec, _read_initials(raw) if ocr else raw)
            except NormalizeError:
                continue
            if _domain_match(raw, domains) and not DOMAIN_RE.search(raw):  # its own web address backs nothing
                score = 1 - (1 - score) * (1 - 0.45)
            ctx.cands[name].append(Cand(value, s, e, ctx.idx.page_at(s), score, f"company:{kind}", raw))


def _placed(line: Line) -> Line:
    """A table row laid out on the page (a letterhead the parser read as a table row beside the
    invoice's keys) with its cells standing for word boxes, so it has a place and a size."""
    if line.words or not line.in_table:
        return line
    cells = [c for c in (line.cells or line.element.cells or [])
             if c.bbox is not None and c.text.strip() and line.start <= c.start <= line.end]
    if not cells or len(cells) >= 3 and not any(ch.isdigit() for c in cells for ch in c.text):
        return line  # a row of column headers ("Vehicle | Pick-up | Return | Days")
    # the row's first cell only: the letterhead column; the other cells are keys and values
    cells = [min(cells, key=lambda c: c.col)]
    words = [Word(c.text, c.start, c.end, c.bbox) for c in cells if c.bbox is not None]
    return replace(line, words=words, top=min(w.bbox.y0 for w in words), bottom=max(w.bbox.y1 for w in words))


def _continued(ctx: Ctx, line: Line, s: int, e: int) -> int:
    """Start of a legal name that began on the lines above ("SRI MAJU HARDWARE / TRADING
    (KEPONG / UTARA) SDN BHD", "LEAFY BOOKS / CO. (M) SDN BHD"): taken while the part read so far
    has an open bracket or no word of its own besides the legal form, from name-like lines."""
    text = ctx.doc.text
    for _ in range(2):
        part = text[s:e]
        words = re.findall(r"[^\W\d_]{4,}|(?:[^\W\d_]\.){2,}", LEGAL_FORM.sub(" ", part))  # initials name too: "A.B.C."
        # a part opening with "&" or a bracket continues the line above ("THE COFFEE BEAN / & TEA LEAF
        # (M) SDN. BHD.", "PASAR RAYA MEGA MAJU / (SEMENYIH) SDN BHD")
        opens = part.startswith("(") or text[line.start:s].strip() == "&"
        if part.count(")") <= part.count("(") and words and not opens:
            break
        if line.index <= 0:
            break
        prev = ctx.idx.lines[line.index - 1]
        if prev.page != line.page or (prev.top is not None and line.top is not None and line.top - prev.top > 3 * max(line.bottom - line.top if line.bottom else 0, 1)):
            break
        seg = _name_like_segments(ctx, prev)
        if len(seg) != 1 or seg[0][1] < prev.end - 2 or LEGAL_FORM.search(text, seg[0][0], seg[0][1]):
            break
        s, line = seg[0][0], prev
    return s


def _label_words(ctx: Ctx, name: str) -> int:
    """How many words of `name` are, on their own, an alias of some field or list column."""
    words = getattr(ctx, "_alias_words", None)
    if words is None:
        words = set()
        for spec in ctx.schema.fields.values():
            subs = list(spec.items.values()) if isinstance(spec.items, dict) else []
            for sp in [spec, *subs]:
                words.update(f for f in (fold_label(a) for a in sp.aliases) if " " not in f)
        ctx._alias_words = words  # type: ignore[attr-defined]
    return sum(1 for w in fold_label(name).split() if w in words)


def _folded_labels(ctx: Ctx) -> set[str]:
    folded = getattr(ctx, "_folded", None)
    if folded is None:
        folded = {fold_label(lab) for lab in ctx.field_of}
        try:
            ctx._folded = folded  # type: ignore[attr-defined]
        except AttributeError:  # slotted context: recompute (still cached per label)
            pass
    return folded


_REG_TAIL = re.compile(r"\s*\(\s*[\w\-./ ]*\d[\w\-./ ]*\)$")
# an unbracketed company number printed after the legal form ("ACME SDN BHD 862725-U", "Acme Ltd 01234567")
_ID_TAIL = re.compile(r"\s+[A-Z]{0,3}\d{4,}[\w\-./]*$")


def _legal_end(core: str) -> str:
    """A name read from a line, ending as the legal-form finder ends it: the legal form's own dot
    kept ("SDN. BHD.", "Inc."), a company number after it left out; other trailing dots dropped.
    Two readings of one name then agree instead of contesting each other."""
    cut = _ID_TAIL.search(core)
    if cut is not None and _ends_legal(core[:cut.start()]):
        core = core[:cut.start()]
    stripped = core.rstrip(".")
    return core if stripped != core and _ends_legal(core) else stripped


def _ends_legal(text: str) -> bool:
    return any(m.end() == len(text) for m in LEGAL_FORM.finditer(text))


def _name_like_segments(ctx: Ctx, line: Line) -> list[tuple[int, int]]:
    """Segments of a line that read like a party's name: 1-6 words, capitalised, few digits,
    not a label, with document-type words ("INVOICE", "Kopie factuur") removed."""
    text = ctx.doc.text
    out = []
    for a, b in segments(text, line.start, line.end):
        seg = text[a:b]
        if ":" in seg or "@" in seg or "/" in seg and not re.search(r"\w/\w", seg):
            continue
        words = [(m.start() + a, m.end() + a, m.group()) for m in re.finditer(r"\S+", seg)]
        # drop document-type words at either end
        while words and fold_text(words[0][2].strip(".,:")) in DOC_TYPE_WORDS:
            words.pop(0)
        titled = False
        while words and fold_text(words[-1][2].strip(".,:")) in DOC_TYPE_WORDS:
            words.pop()
            titled = True
        if not words or len(words) > 6:
            continue
        if all(fold_text(w.strip(".,:;*-")) in _kind_words(ctx.schema) for _, _, w in words) or \
                fold_text(" ".join(w for _, _, w in words).strip(".,:;*-")) in _kind_words(ctx.schema):
            continue  # the kind of document in the schema's own words ("CASH SALE", "KASSENBON"), not a name
        if len(words) >= 4 and any(DOMAIN_RE.fullmatch(w.strip(".,;:!")) and "." in w.strip(".") for _, _, w in words):
            continue  # a line of words with a web address ("THANK YOU FOR SHOPPING WITH shop.com"): no name
        s, e = words[0][0], words[-1][1]
        core = _legal_end(text[s:e].rstrip(",;"))
        if titled and len(words) <= 2 and not LEGAL_FORM.search(core):
            continue  # the kind of document in a title ("SALES INVOICE", "RENTAL RECEIPT"), not a name
        core = _legal_end(_REG_TAIL.sub("", core))  # "ACME SDN BHD (123456-A)": the registration number is not the name
        e = s + len(core)
        letters = sum(c.isalpha() for c in core)
        digits = sum(c.isdigit() for c in core)
        if letters < 3 or digits > letters / 3 or not core[0].isupper() and not core[0].isdigit():
            continue
        if fold_label(core) in _folded_labels(ctx) or not LEGAL_FORM.sub("", core).strip(" .,&()"):
            continue  # a label, or a legal form alone ("SDN BHD" on its own line)
        if NAME_WORDS & set(fold_text(core).split()):
            continue  # "Seller trade name", "Nom du client": a label naming a name, not one
        if any(m.start == s and len(fold_label(m.label).split()) >= 2 for m in ctx.matches) or _label_words(ctx, core) >= 2:
            continue  # opens with a label of two or more words ("Booking ID  Paid By"), or column headers
        out.append((s, e))
    return out


def _kind_words(schema: Schema) -> frozenset[str]:
    """The schema's classification keywords, folded: words that name the kind of document."""
    return per_schema(schema, "kind_words", lambda sch: frozenset(
        fold_text(k) for hint in sch.classify for k in hint.keywords))


def title_candidates(ctx: Ctx) -> None:
    targets = [n for n in role_fields(ctx.schema, TITLE_CUES) if ctx.wants(n)]
    if not targets:
        return
    for el in ctx.doc.elements:
        if el.kind in (Kind.TITLE, Kind.HEADING) and len(re.findall(r"[^\W\d_]{2,}", el.text)) >= 2:
            for name in targets:
                spec = ctx.schema.fields[name]
                try:
                    value = norm_value(ctx, spec, el.text.strip())
                except NormalizeError:
                    continue
                a = el.start + (len(el.text) - len(el.text.lstrip()))
                raw = el.text.strip()
                ctx.cands[name].append(Cand(value, a, a + len(raw), el.page, 0.6, "title", raw))
            return
