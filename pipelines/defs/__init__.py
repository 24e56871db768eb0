"""Dagster wiring for the mapper: thin; the work happens in `pipelines.run.stages`."""
