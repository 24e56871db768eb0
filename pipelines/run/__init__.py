"""A batch, from input files to the KB: one run path for `mapper run --direct` and Dagster.

    stages.py   the stage functions (store, parse, map, judge, land) and their file-backed
                wrappers the Dagster assets call
    direct.py   the stages chained in this process (`mapper run --direct`)
    dagster_run.py  the CLI's bridge to the Dagster code location (`mapper run`)
    mapper.py   schemas + rules + LLM policy: map a document and decide its outcome
    outcome.py  DocOutcome and the batch's one Summary (written by land/writer.py's BatchWriter)
    work.py     parse + map + judge inside the parse workers (outcomes back, no word boxes)
    progress.py what the run is doing: documents parsed/mapped/landed, rate, ETA
    files.py    hand-off I/O (stage streams and status files); handoff.py their typed codec
    batch.py, hold.py, checks.py   manifests, the stopgap, checks on the KB
"""
