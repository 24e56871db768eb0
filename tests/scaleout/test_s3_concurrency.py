"""Four processes land overlapping batches into the same Delta tables on the S3 server at once.

S3 has no atomic rename, so delta-rs commits there safely only with a conditional put
(`If-None-Match: *` on the next log entry) or a DynamoDB lock; `storage.delta_options` asks
for the conditional put. The writers are the ones of tests/land/test_kb_concurrency.py.
"""

from __future__ import annotations

import os
import uuid

from pipelines import storage
from pipelines.land.kb import KnowledgeBase
from tests.land.test_kb_concurrency import check_landed, land_concurrently
from tests.support.servers import bucket_keys, make_bucket


def test_four_processes_land_overlapping_batches_on_s3(s3_server, s3_env):
    bucket = f"kb-{uuid.uuid4().hex[:8]}"
    make_bucket(s3_server, bucket)
    root = f"s3://{bucket}/kb"
    assert storage.delta_options(root) == {"conditional_put": "etag"}
    land_concurrently(root, os.environ | s3_env)
    check_landed(KnowledgeBase(root))
    assert any(k.startswith("kb/invoice/_delta_log/") for k in bucket_keys(s3_server, bucket))
