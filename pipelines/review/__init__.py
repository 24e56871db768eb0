"""Human review of records the pipeline could not land on its own.

store.py      the review queue and the append-only log of reviewers' decisions
actions.py    accept / correct / reject (landing the record in the KB)
documents.py  the parsed document behind a review item (parse cache, else the raw original)
cli.py        `mapper review list/show/accept/correct/reject`
learn.py, backtest.py, promote.py, rules_cli.py   rules learned from corrections
web/          the reviewers' web UI
"""
