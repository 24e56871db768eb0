"""LLM-assisted extraction: redaction, grounding, chunking, client and extractor."""
