"""Read back what a streamed upload body sends: its text fields, as a server parses them.

A plain module (not a conftest) so every test folder can import it unambiguously.
"""

from __future__ import annotations

import email
import email.policy
from typing import Any


def form_fields(body: Any) -> list[tuple[str, str]]:
    """The text fields of a streamed multipart body (read in full: small test bodies
    only), in order; the file part is left out."""
    data = body.open().read()
    head = f"Content-Type: {body.content_type}\r\n\r\n".encode("latin-1")
    message = email.message_from_bytes(head + data, policy=email.policy.HTTP)
    fields = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name != "file" or part.get_filename() is None:
            fields.append((str(name), part.get_content()))
    return fields
