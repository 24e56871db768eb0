"""The LLM answer cache uses an entry only under the key it was written with."""

from __future__ import annotations

import shutil

from pipelines.llm.cache import AnswerCache, cache_key


def test_an_entry_is_used_only_under_its_own_key(tmp_path):
    cache = AnswerCache(tmp_path / "kb")
    k1 = cache_key("m", [{"role": "user", "content": "a"}], "invoice", 1, "d" * 64)
    k2 = cache_key("m", [{"role": "user", "content": "b"}], "invoice", 1, "e" * 64)
    cache.put(k1, {"answer": {"invoice_number": "INV-1"}})
    assert cache.get(k1) == {"answer": {"invoice_number": "INV-1"}}
    assert cache.get(k2) is None
    # An entry copied to another key's place (planted, or a stray copy) is a miss, not an answer.
    cache._path(k2).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(cache._path(k1), cache._path(k2))
    assert cache.get(k2) is None
    for junk in (b"\xff\xfe", b"[1, 2]", b'{"key": "%s", "value": "text"}' % k2.encode()):
        cache._path(k2).write_bytes(junk)
        assert cache.get(k2) is None
