"""The data model everything else speaks: the grounded document (`document`), its layout index
(`layout`), extracted records with their evidence and provenance (`records`) and the canonical
schemas (`schema`). Imported by every layer; imports nothing else of ours.
"""
