"""LLM step on the shipped samples against the scripted loopback server.

Reports LLM calls per document on a first run and a re-run (cache), characters/tokens sent per
document with whole documents versus only the relevant parts, and the share of landed field
values that came from rules (incl. the generic extractor) versus the LLM.

The server plays a careful model: for each field asked it answers the golden value when that
value is written in the (redacted) text it was sent, with the line it sits on as the quote,
and null otherwise. So "fields filled by the LLM" is an upper bound of what a good model adds.

    .venv/bin/python benchmarks/llm.py [--samples data_samples] [--max-chars 6000]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.config import Settings  # noqa: E402
from pipelines.land.query import run_query  # noqa: E402
from pipelines.llm.policy import EndpointSpec, Policy  # noqa: E402
from pipelines.map.rules import load_rules  # noqa: E402
from pipelines.model.schema import load_schemas  # noqa: E402
from pipelines.run.mapper import Mapper  # noqa: E402
from pipelines.run.direct import run  # noqa: E402
from tests.support.openai_server import OpenAIServer, RecordedRequest, Reply  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DOC_RE = re.compile(r'<document name="(?P<name>[^"]*)">\n(?P<text>.*)\n</document>', re.S)


def goldens(samples: Path) -> dict[str, dict[str, Any]]:
    """File name -> golden field values of its first record."""
    out = {}
    for p in samples.rglob("*.expected.json"):
        recs = json.loads(p.read_text()).get("records", [])
        if recs:
            out[p.name.removesuffix(".expected.json")] = recs[0]["fields"]
    return out


def spellings(v: Any) -> list[str]:
    if isinstance(v, bool) or v is None or isinstance(v, list | dict):
        return []
    if isinstance(v, int | float):
        return [f"{v:,.2f}", f"{v:.2f}", str(v)]
    s = str(v)
    try:
        d = date.fromisoformat(s)
    except ValueError:
        return [s]
    return [d.strftime(f) for f in ("%d %B %Y", "%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y", "%B %d, %Y", "%d %b %Y")] + \
        [f"{d.day} {d.strftime('%B %Y')}"]


def oracle(gold: dict[str, dict[str, Any]]):
    def reply(req: RecordedRequest) -> Reply:
        props = (req.response_model_schema or {}).get("properties", {})
        m = DOC_RE.search(req.user_text)
        if "kind" in props or m is None:
            return Reply.json({"kind": "none", "quote": None})
        fields = gold.get(m.group("name"), {})
        text = m.group("text")
        answer: dict[str, Any] = {}
        for name in props:
            found = None
            for s in spellings(fields.get(name)):
                i = text.find(s)
                if i >= 0:
                    line_start = text.rfind("\n", 0, i) + 1
                    line_end = text.find("\n", i)
                    found = {"value": s, "quote": text[line_start: line_end if line_end >= 0 else len(text)].strip()}
                    break
            answer[name] = found
        return Reply.json(answer)
    return reply


def provenance_share(kb: Path) -> Counter[str]:
    share: Counter[str] = Counter()
    for schema in ("invoice", "support_case", "contract", "customer", "tariff"):
        try:
            df = run_query(kb, f"SELECT provenance FROM {schema}")
        except Exception:
            continue
        for prov in df.provenance:
            for p in prov:
                share[p["method"]] += 1
    return share


def one_run(samples: Path, server: OpenAIServer, kb: Path, max_chars: int, mappings: Path) -> dict[str, Any]:
    spec = EndpointSpec(base_url=server.base_url, model="scripted", mode="md_json", timeout_s=5, max_retries=1)
    schemas = load_schemas(REPO / "schemas")
    mapper = Mapper(schemas, load_rules(mappings, schemas),
                    policy=Policy(endpoints={"default": spec}, max_chars_per_call=max_chars))
    settings = Settings(kb_root=kb, schemas_dir=REPO / "schemas", mappings_dir=mappings, workers=1)
    before = len(server.chat_requests())
    s = run([samples], settings, mapper=mapper)
    docs = s.inputs + s.attachments
    llm = s.llm or {}
    return {"documents": docs, "requests": len(server.chat_requests()) - before, "llm": llm,
            "calls_per_document": round(llm.get("calls", 0) / docs, 3),
            "chars_sent_per_document": round(llm.get("chars_sent", 0) / docs),
            "approx_tokens_sent_per_document": round(llm.get("prompt_tokens", 0) / docs),
            "approx_tokens_per_call": round(llm.get("prompt_tokens", 0) / max(1, llm.get("calls", 0))),
            "landed": dict(s.outcomes), "attachments": dict(s.attachment_outcomes)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", default=str(REPO / "data_samples"))
    ap.add_argument("--max-chars", type=int, default=6000)
    ap.add_argument("--mappings", default=str(REPO / "mappings"),
                    help="rules to run first (an empty folder: generic extractor + LLM only)")
    args = ap.parse_args()
    os.environ.setdefault("MAPPER_LLM_API_KEY", "benchmark")
    samples = Path(args.samples)
    with tempfile.TemporaryDirectory() as tmp, OpenAIServer(oracle(goldens(samples))) as server:
        m = Path(args.mappings)
        first = one_run(samples, server, Path(tmp) / "kb", args.max_chars, m)
        again = one_run(samples, server, Path(tmp) / "kb", args.max_chars, m)
        share = provenance_share(Path(tmp) / "kb")
        whole = one_run(samples, server, Path(tmp) / "kb_whole", 1_000_000, m)
    total = sum(share.values()) or 1
    report = {
        "first_run": first, "re_run": again, "whole_documents": whole,
        "landed_field_values_by_method": dict(share),
        "share_llm": round(share["llm"] / total, 4),
        "share_rules_and_generic": round((share["rule"] + share["generic"]) / total, 4),
    }
    print(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
