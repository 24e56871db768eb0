"""Deterministic generator for the shipped sample corpus (`data_samples/`) and its golden expected outputs.

Run from the repository root:  python -m scripts.make_samples [--out DIR] [--check]
"""
