"""Runs are partitioned by ingestion batch (never by document: the partition count must scale)."""

import dagster as dg

batches = dg.DynamicPartitionsDefinition(name="batches")
