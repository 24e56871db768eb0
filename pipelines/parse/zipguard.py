"""Refuse zip containers (docx, pptx, odt, epub) whose declared contents would explode in memory."""

from __future__ import annotations

import io
import zipfile

from pipelines.model.document import Reason
from pipelines.parse.errors import BadInput
from pipelines.parse.limits import Limits


def check_zip(data: bytes, limits: Limits) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise BadInput(Reason.CORRUPT, f"broken zip container: {exc}") from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.zip_max_members:
            raise BadInput(Reason.ZIP_BOMB, f"zip container has {len(infos)} members (limit {limits.zip_max_members})")
        total = sum(i.file_size for i in infos)
        packed = max(1, sum(i.compress_size for i in infos))
        if total > limits.zip_max_bytes:
            raise BadInput(Reason.ZIP_BOMB, f"zip container would expand to {total:,} bytes (limit {limits.zip_max_bytes:,})")
        if total > 10 * 1024 * 1024 and total / packed > limits.zip_max_ratio:
            raise BadInput(
                Reason.ZIP_BOMB,
                f"zip container compression ratio {total / packed:.0f}:1 exceeds {limits.zip_max_ratio:.0f}:1 (likely a zip bomb)",
            )
