"""Imported once by the server that parse workers fork from (parse/run.py `_context`), never by
the product's other code: what every worker would otherwise compute for itself is computed here
before the fork and inherited. That is the parse cache key's environment (probing the OCR engine's
version runs a program, about half a second of CPU in each worker).
"""

from pipelines.parse import cache

cache.environment()
