"""Typed JSON for the pipeline's dataclasses: caches and stage hand-offs are data, never code.

Files under the KB, a cache or a work folder can be written by someone else, so they are
never unpickled. A `Codec` knows a fixed set of dataclasses and enums; it writes each as JSON
following the class's type hints and, reading back, checks every value against those hints
(field names, str/int/float/bool, enum members, list/dict/tuple shapes) before building the
object. Anything else is a `CodecError`, never an object of a type it did not list.

Where a hint says `Any` (document metadata, a field's normalised value) values keep their type
through tags: `{"$decimal": "1.50"}`, `{"$date": ...}`, `{"$datetime": ...}`, `{"$tuple": [...]}`,
`{"$bytes": base64}`, `{"$set": [...]}`, `{"$enum": name, "v": value}`, `{"$dc": name, "v": {...}}`,
`{"$float": "inf"}` (JSON has no NaN or infinity); a dict whose keys are not all plain strings is
`{"$dict": [[key, value], ...]}`.

`to_json` / `from_json` write and read the bytes with orjson: caches are written once per
document, and the standard library's encoder was a tenth of a run's CPU.
"""

from __future__ import annotations

import base64
import dataclasses
import math
import types
import typing
from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

import orjson

Enc = Callable[[Any], Any]
Dec = Callable[[Any, str], Any]
_SCALARS = (str, int, float, bool, type(None))


class CodecError(ValueError):
    """Data that does not match the expected types (damaged, foreign or tampered)."""


class Codec:
    def __init__(self, known: Iterable[type], drop: dict[type, set[str]] | None = None) -> None:
        """`known`: the dataclasses and enums that may appear; `drop`: fields not written
        (decoded as their default, or None) - e.g. a back-reference the reader restores."""
        self._types = {t.__name__: t for t in known}
        self._drop = {t: frozenset(names) for t, names in (drop or {}).items()}
        self._enc: dict[Any, Enc] = {}
        self._dec: dict[Any, Dec] = {}

    def encode(self, value: Any, hint: Any = Any) -> Any:
        """A JSON-ready value (dicts, lists, strings, numbers, None)."""
        return self._encoder(hint)(value)

    def decode(self, data: Any, hint: Any) -> Any:
        """The object `data` describes, checked against `hint`; CodecError when it does not fit."""
        return self._decoder(hint)(data, "$")

    def to_json(self, value: Any, hint: Any = Any, *, under: str = "value", **wrap: Any) -> bytes | None:
        """`value` encoded, under the key `under` beside the plain JSON values of `wrap`, as JSON
        bytes; None when JSON cannot hold it (an integer beyond 64 bits, a lone surrogate, nesting
        hundreds deep): a cache then simply does not keep it. A non-finite number in a field typed
        float is written as null, which decoding rejects (the cache entry is ignored)."""
        try:
            return orjson.dumps({**wrap, under: self.encode(value, hint)})
        except (TypeError, RecursionError):  # orjson.JSONEncodeError; nested deeper than the codec recurses
            return None

    @staticmethod
    def load_json(data: bytes | str) -> Any:
        """Parsed JSON (of `to_json`, to check its wrapper before `decode`); CodecError if it is not JSON."""
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise CodecError(f"not JSON: {exc}") from exc

    # ---- encoding ----------------------------------------------------------------------------

    def _encoder(self, hint: Any) -> Enc:
        if hint not in self._enc:
            self._enc[hint] = lambda v: self._enc[hint](v)  # recursion: resolved on call
            self._enc[hint] = self._build_encoder(hint)
        return self._enc[hint]

    def _build_encoder(self, hint: Any) -> Enc:
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if hint in _SCALARS:
            return _same
        if origin in (typing.Union, types.UnionType):
            inner = [a for a in args if a is not type(None)]
            if len(inner) == 1 and len(args) == 2:
                enc = self._encoder(inner[0])
                return lambda v: None if v is None else enc(v)
            return self._enc_any
        if origin is list:
            enc = self._encoder(args[0]) if args else self._enc_any
            return (lambda v: list(v)) if enc is _same else (lambda v: [enc(x) for x in v])
        if origin is dict:
            enc = self._encoder(args[1]) if args else self._enc_any
            return lambda v: {_str_key(k): enc(x) for k, x in v.items()}
        if origin is tuple and args and args[-1] is not Ellipsis:
            encs = [self._encoder(a) for a in args]
            return lambda v: [e(x) for e, x in zip(encs, v, strict=True)]
        if isinstance(hint, type) and issubclass(hint, Enum):
            return lambda v: v.value
        if isinstance(hint, type) and dataclasses.is_dataclass(hint) and hint.__name__ in self._types:
            return self._dataclass_encoder(hint)
        if hint in (Decimal, date, datetime):
            return lambda v: str(v) if hint is Decimal else v.isoformat()
        return self._enc_any

    def _dataclass_encoder(self, cls: type) -> Enc:
        fields = [(name, self._encoder(h)) for name, h in self._hints(cls).items()]
        return lambda v: {name: enc(getattr(v, name)) for name, enc in fields}

    def _enc_any(self, v: Any) -> Any:
        if type(v) is float and not math.isfinite(v):
            return {"$float": repr(v)}
        if v is None or type(v) in (str, int, float, bool):
            return v
        if isinstance(v, list):
            return [self._enc_any(x) for x in v]
        if isinstance(v, dict):
            if all(type(k) is str and not k.startswith("$") for k in v):
                return {k: self._enc_any(x) for k, x in v.items()}
            return {"$dict": [[self._enc_any(k), self._enc_any(x)] for k, x in v.items()]}
        if isinstance(v, Enum) and type(v).__name__ in self._types:
            return {"$enum": type(v).__name__, "v": v.value}
        if dataclasses.is_dataclass(v) and type(v).__name__ in self._types:
            return {"$dc": type(v).__name__, "v": self._encoder(type(v))(v)}
        if isinstance(v, tuple):
            return {"$tuple": [self._enc_any(x) for x in v]}
        if isinstance(v, (set, frozenset)):
            return {"$set": [self._enc_any(x) for x in sorted(v, key=repr)]}
        if isinstance(v, Decimal):
            return {"$decimal": str(v)}
        if isinstance(v, datetime):
            return {"$datetime": v.isoformat()}
        if isinstance(v, date):
            return {"$date": v.isoformat()}
        if isinstance(v, time):
            return {"$time": v.isoformat()}
        if isinstance(v, (bytes, bytearray)):
            return {"$bytes": base64.b64encode(v).decode("ascii")}
        if isinstance(v, (str, int, float)):  # subclasses (StrEnum not listed, numpy-free)
            return v
        raise CodecError(f"cannot store a value of type {type(v).__name__}")

    # ---- decoding ----------------------------------------------------------------------------

    def _decoder(self, hint: Any) -> Dec:
        if hint not in self._dec:
            self._dec[hint] = lambda x, at: self._dec[hint](x, at)  # recursion: resolved on call
            self._dec[hint] = self._build_decoder(hint)
        return self._dec[hint]

    def _build_decoder(self, hint: Any) -> Dec:
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if hint is Any or hint is object:
            return self._dec_any
        if hint is float:
            return _check(lambda x: type(x) in (int, float), float, "a number")
        if hint is int:
            return _check(lambda x: type(x) is int, _same, "an integer")
        if hint in (str, bool, type(None)):
            return _check(lambda x: type(x) is hint, _same, hint.__name__)
        if origin in (typing.Union, types.UnionType):
            inner = [a for a in args if a is not type(None)]
            if len(inner) == 1 and len(args) == 2:
                dec = self._decoder(inner[0])
                return lambda x, at: None if x is None else dec(x, at)
            return self._dec_any
        if origin is list:
            dec = self._decoder(args[0]) if args else self._dec_any

            def dec_list(x: Any, at: str) -> list:
                _expect(isinstance(x, list), at, "a list")
                return [dec(v, f"{at}[{i}]") for i, v in enumerate(x)]
            return dec_list
        if origin is dict:
            dec = self._decoder(args[1]) if args else self._dec_any

            def dec_dict(x: Any, at: str) -> dict:
                _expect(isinstance(x, dict), at, "an object")
                return {k: dec(v, f"{at}.{k}") for k, v in x.items()}
            return dec_dict
        if origin is tuple and args and args[-1] is not Ellipsis:
            decs = [self._decoder(a) for a in args]

            def dec_tuple(x: Any, at: str) -> tuple:
                _expect(isinstance(x, list) and len(x) == len(decs), at, f"a list of {len(decs)}")
                return tuple(d(v, f"{at}[{i}]") for i, (d, v) in enumerate(zip(decs, x)))
            return dec_tuple
        if isinstance(hint, type) and issubclass(hint, Enum):
            return lambda x, at: _enum(hint, x, at)
        if isinstance(hint, type) and dataclasses.is_dataclass(hint) and hint.__name__ in self._types:
            return self._dataclass_decoder(hint)
        if hint in (Decimal, date, datetime):
            return lambda x, at: _parse_scalar(hint, x, at)
        raise CodecError(f"no decoder for {hint!r}")

    def _dataclass_decoder(self, cls: type) -> Dec:
        hints = self._hints(cls)
        decs = {name: self._decoder(h) for name, h in hints.items()}
        required = {f.name for f in dataclasses.fields(cls) if f.name in hints
                    and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
        absent = {f.name: None for f in dataclasses.fields(cls) if f.name in self._drop.get(cls, ())
                  and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}

        def dec(x: Any, at: str) -> Any:
            _expect(isinstance(x, dict), at, f"a {cls.__name__} object")
            unknown, missing = x.keys() - decs.keys(), required - x.keys()
            if unknown or missing:
                raise CodecError(f"{at}: {cls.__name__} with unknown fields {sorted(unknown)} / missing {sorted(missing)}")
            return cls(**absent, **{k: decs[k](v, f"{at}.{k}") for k, v in x.items()})
        return dec

    def _dec_any(self, x: Any, at: str) -> Any:
        if isinstance(x, list):
            return [self._dec_any(v, at) for v in x]
        if not isinstance(x, dict):
            return x
        tag = next(iter(x), "") if x else ""
        if not tag.startswith("$"):
            return {k: self._dec_any(v, f"{at}.{k}") for k, v in x.items()}
        body = x[tag]
        if tag == "$dc" or tag == "$enum":
            cls = self._types.get(x.get(tag)) if isinstance(x.get(tag), str) else None
            _expect(cls is not None and len(x) == 2 and "v" in x, at, "a known type")
            return self._decoder(cls)(x["v"], at)
        _expect(len(x) == 1, at, "one tag")
        if tag == "$dict":
            _expect(isinstance(body, list) and all(isinstance(p, list) and len(p) == 2 for p in body), at, "pairs")
            return {_hashable(self._dec_any(k, at), at): self._dec_any(v, at) for k, v in body}
        if tag in ("$tuple", "$set"):
            _expect(isinstance(body, list), at, "a list")
            items = [self._dec_any(v, at) for v in body]
            return tuple(items) if tag == "$tuple" else {_hashable(v, at) for v in items}
        if tag == "$bytes":
            _expect(isinstance(body, str), at, "base64 text")
            return base64.b64decode(body, validate=True)
        if tag == "$float":
            _expect(body in ("inf", "-inf", "nan"), at, "inf, -inf or nan")
            return float(body)
        kinds = {"$decimal": Decimal, "$date": date, "$datetime": datetime, "$time": time}
        _expect(tag in kinds, at, "a known tag")
        return _parse_scalar(kinds[tag], body, at)

    def _hints(self, cls: type) -> dict[str, Any]:
        hints = typing.get_type_hints(cls)
        drop = self._drop.get(cls, frozenset())
        return {f.name: hints[f.name] for f in dataclasses.fields(cls) if f.name not in drop}


def _same(v: Any) -> Any:
    return v


def _str_key(k: Any) -> str:
    if not isinstance(k, str):
        raise CodecError(f"dict key {k!r} is not a string")
    return k


def _expect(ok: bool, at: str, what: str) -> None:
    if not ok:
        raise CodecError(f"{at}: expected {what}")


def _check(test: Callable[[Any], bool], conv: Callable[[Any], Any], what: str) -> Dec:
    def dec(x: Any, at: str) -> Any:
        if not test(x):
            raise CodecError(f"{at}: expected {what}, got {type(x).__name__}")
        return conv(x)
    return dec


def _enum(cls: type[Enum], x: Any, at: str) -> Enum:
    try:
        return cls(x)
    except ValueError as exc:
        raise CodecError(f"{at}: {x!r} is not a {cls.__name__}") from exc


def _hashable(v: Any, at: str) -> Any:
    try:
        hash(v)
    except TypeError as exc:
        raise CodecError(f"{at}: unhashable key") from exc
    return v


def _parse_scalar(kind: type, x: Any, at: str) -> Any:
    _expect(isinstance(x, str), at, f"a {kind.__name__} as text")
    try:
        return Decimal(x) if kind is Decimal else kind.fromisoformat(x)
    except (ValueError, InvalidOperation) as exc:
        raise CodecError(f"{at}: {x!r} is not a {kind.__name__}") from exc
