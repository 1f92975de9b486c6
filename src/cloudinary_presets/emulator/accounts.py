"""The cloud accounts an emulator serves: a cloud name and the key/secret pair for it.

Why a dataclass of its own: tests, the CLI and the emulator's SQLite store all pass
accounts around, and the secret must never appear in a ``repr`` or a log line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# The SDK reads the cloud name from CLOUDINARY_URL with urlparse().hostname, which
# lowercases it, so an upper-case cloud name could never be reached through the SDK.
_CLOUD_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class CloudAccount:
    """One product environment: ``name`` is the ``<cloud>`` in ``/v1_1/<cloud>/...``."""

    name: str
    api_key: str
    api_secret: str = field(repr=False)

    def __post_init__(self) -> None:
        if not _CLOUD_NAME.match(self.name):
            raise ValueError(
                f"invalid cloud name {self.name!r}: use lowercase letters, digits, '-' and '_'"
                " (the SDK lowercases the cloud name it reads from CLOUDINARY_URL)"
            )
        if not self.api_key or ":" in self.api_key or any(c.isspace() for c in self.api_key):
            raise ValueError(
                f"cloud {self.name!r}: api_key must be non-empty, without ':' or spaces"
            )
        if not self.api_secret or any(c.isspace() for c in self.api_secret):
            raise ValueError(f"cloud {self.name!r}: api_secret must be non-empty, without spaces")

    def cloudinary_url(self, base_url: str) -> str:
        """The ``CLOUDINARY_URL`` that points the official SDK (and the CLI) at ``base_url``."""
        return f"cloudinary://{self.api_key}:{self.api_secret}@{self.name}?upload_prefix={base_url}"


#: The account every emulator serves unless told otherwise. The secret is public on purpose.
DEMO_CLOUD = CloudAccount(name="demo", api_key="100000000000001", api_secret="demo-emulator-secret")
