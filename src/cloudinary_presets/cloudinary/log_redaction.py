"""Logs that can never carry a credential.

A filter on the package logger scrubs every record through
:func:`~cloudinary_presets.cloudinary.secrets.redact`; urllib3's connection-pool logger
(which logs each request line with its query string at DEBUG) gets one too. Both are
installed when this module is imported; the transport installs it on its own logger.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from cloudinary_presets.cloudinary.secrets import redact

#: Query parameters whose values never appear in logs.
SENSITIVE_PARAMS = frozenset({"signature", "api_key", "api_secret"})


class RedactingFilter(logging.Filter):
    """Scrub secrets from a record's message, arguments, traceback and stack.

    A logger's filters only see records created on that very logger, not those that
    propagate from child loggers: attach it to handlers too (``install_redaction``).
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken %-format: keep the raw template only
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_redaction(target: logging.Logger | logging.Handler) -> None:
    """Attach a :class:`RedactingFilter` to a logger or handler, once."""
    if not any(isinstance(f, RedactingFilter) for f in target.filters):
        target.addFilter(RedactingFilter())


install_redaction(logging.getLogger("cloudinary_presets"))
# urllib3 logs every request line with its query string at DEBUG.
install_redaction(logging.getLogger("urllib3.connectionpool"))


def shown_path(path: str, params: Mapping[str, Any] | None) -> str:
    """``path?query`` for a log line, with the values of :data:`SENSITIVE_PARAMS` masked."""
    if not params:
        return path
    pairs = [
        (k, "***" if k in SENSITIVE_PARAMS else v)
        for k, value in params.items()
        for v in (value if isinstance(value, (list, tuple)) else [value])
    ]
    return f"{path}?{urlencode(pairs, safe='*')}"
