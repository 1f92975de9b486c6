"""Cloudinary's wire formats: request bodies in, encoded setting strings decoded.

Why one module: the SDK and the project's client send the same parameters as JSON,
``application/x-www-form-urlencoded`` or ``multipart/form-data`` (lists as ``key[]``),
and settings travel as small string grammars (``k=v|k2=v2`` with ``\\=``/``\\|``
escapes, ``K: V`` header lines, ``10,20,30,40|1,2,3,4`` coordinates). Parsing all of
them here, once, keeps the Admin and Upload handlers about behaviour, not bytes.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import parse_qsl, unquote

from cloudinary_presets.emulator.http_error import HttpError, bad_request

Fields = dict[str, object]


@dataclass(frozen=True)
class FilePart:
    """A multipart part that carried a ``filename``: an uploaded file."""

    filename: str
    content_type: str
    content: bytes


@dataclass
class Body:
    """A parsed request body: plain fields (str, list[str], or any JSON value) and files."""

    fields: Fields = field(default_factory=dict)
    files: dict[str, FilePart] = field(default_factory=dict)


def _add_field(fields: Fields, key: str, value: str) -> None:
    """Collect one form field; ``key[]`` accumulates a list, a plain key keeps its last value."""
    if key.endswith("[]"):
        bucket = fields.setdefault(key[:-2], [])
        if isinstance(bucket, list):
            bucket.append(value)
        else:
            fields[key[:-2]] = [value]
    else:
        fields[key] = value


def parse_query(query: str) -> Fields:
    """A query string -> fields (``key[]=a&key[]=b`` -> ``{"key": ["a", "b"]}``)."""
    fields: Fields = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        _add_field(fields, key, value)
    return fields


def _content_type(header: str) -> Message:
    message = Message()
    message["content-type"] = header
    return message


def parse_body(content_type: str | None, body: bytes) -> Body:
    """Parse a request body by its Content-Type; malformed bodies raise a 400."""
    if not body.strip():
        return Body()
    header = content_type or ""
    media = _content_type(header).get_content_type() if header else ""
    if media == "application/json" or (not header and body.lstrip()[:1] == b"{"):
        return Body(_parse_json(body))
    if media == "application/x-www-form-urlencoded" or not header:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise bad_request("Malformed request body: form data is not UTF-8") from None
        return Body(parse_query(text))
    if media == "multipart/form-data":
        boundary = _content_type(header).get_param("boundary")
        if not isinstance(boundary, str) or not boundary:
            raise bad_request("Malformed request body: multipart boundary missing")
        return _parse_multipart(body, boundary)
    raise HttpError(415, f"Unsupported Content-Type {media!r}")


def body_params(query: str, content_type: str | None, body: bytes) -> Fields:
    """Admin API parameters: the query string, overridden by the body; no file parts."""
    params = parse_query(query)
    parsed = parse_body(content_type, body)
    params.update(parsed.fields)
    if parsed.files:
        names = ", ".join(sorted(parsed.files))
        raise bad_request(f"Unexpected file part(s) in an Admin API request body: {names}")
    return params


def _parse_json(body: bytes) -> Fields:
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise bad_request(f"Malformed request body: invalid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise bad_request("Malformed request body: the JSON body must be an object")
    return {str(k): v for k, v in value.items()}


def _parse_multipart(body: bytes, boundary: str) -> Body:
    delimiter = b"\r\n--" + boundary.encode("latin-1")
    chunks = (b"\r\n" + body).split(delimiter)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise bad_request("Malformed request body: incomplete multipart data")
    parsed = Body()
    for chunk in chunks[1:-1]:
        if not chunk.startswith(b"\r\n"):
            raise bad_request("Malformed request body: bad multipart delimiter")
        head, sep, content = chunk[2:].partition(b"\r\n\r\n")
        if not sep:
            raise bad_request("Malformed request body: multipart part without headers")
        name, filename, ctype = _part_headers(head)
        if not name:
            raise bad_request("Malformed request body: multipart part without a name")
        if filename is not None:
            parsed.files[name] = FilePart(filename, ctype, content)
            continue
        try:
            _add_field(parsed.fields, name, content.decode("utf-8"))
        except UnicodeDecodeError:
            raise bad_request(f"Malformed request body: field {name!r} is not UTF-8") from None
    return parsed


def _part_headers(head: bytes) -> tuple[str, str | None, str]:
    """A part's field name, file name (None for a plain field) and content type.

    Header bytes are UTF-8 (HTML's multipart encoding, which urllib3, requests and
    browsers use: a file name ``üni.png`` arrives as raw UTF-8, with ``"``, CR and LF
    percent-escaped); RFC 5987 ``filename*=UTF-8''...`` is understood too.
    """
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = head.decode("latin-1")
    headers = {}
    for line in text.split("\r\n"):
        key, sep, value = line.partition(":")
        if sep:
            headers[key.strip().lower()] = value.strip()
    params = _disposition_params(headers.get("content-disposition", ""))
    filename = params.get("filename")
    extended = params.get("filename*")
    if extended is not None:
        charset, _, rest = extended.partition("'")
        _, _, encoded = rest.partition("'")
        filename = unquote(encoded, encoding=charset or "utf-8", errors="replace")
    ctype = headers.get("content-type", "text/plain").split(";", 1)[0].strip().lower()
    return params.get("name", ""), filename, ctype


def _disposition_params(value: str) -> dict[str, str]:
    """``form-data; name="file"; filename="a;b.png"`` -> its parameters (quotes honoured)."""
    params: dict[str, str] = {}
    items: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in value:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
            current.append(char)
        elif char == ";" and not quoted:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    for item in items[1:]:
        key, sep, raw = item.partition("=")
        if not sep:
            continue
        raw = raw.strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = raw[1:-1].replace("%22", '"').replace("%0D", "\r").replace("%0A", "\n")
        params[key.strip().lower()] = raw
    return params


# --------------------------------------------------------------------------- decoders


def split_unescaped(text: str, separator: str) -> list[str]:
    """Split on ``separator`` except where it is backslash-escaped; escapes are kept."""
    parts: list[str] = []
    current: list[str] = []
    chars = iter(text)
    for char in chars:
        if char == "\\":
            current.append(char)
            current.append(next(chars, ""))
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def unescape(text: str) -> str:
    """Drop the backslash before an escaped ``=``, ``|`` or backslash."""
    out: list[str] = []
    chars = iter(text)
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            if following not in ("=", "|", "\\", '"'):
                out.append(char)
            out.append(following)
        else:
            out.append(char)
    return "".join(out)


def decode_context(text: str) -> dict[str, str]:
    """``alt=x\\=y\\|z|k=v`` -> ``{"alt": "x=y|z", "k": "v"}`` (context and metadata)."""
    result: dict[str, str] = {}
    for pair in split_unescaped(text, "|"):
        pieces = split_unescaped(pair, "=")
        if len(pieces) < 2 or not pieces[0]:
            raise ValueError(f"'{pair}' is not a key=value pair")
        result[unescape(pieces[0])] = unescape("=".join(pieces[1:]))
    return result


def decode_list(text: str) -> list[str]:
    """``"a,b"`` -> ``["a", "b"]`` (tags, allowed_formats); blanks around items dropped."""
    return [item.strip() for item in text.split(",") if item.strip()]


def decode_headers(text: str) -> dict[str, str]:
    """``"K: V\\nK2: V2"`` -> ``{"K": "V", "K2": "V2"}``."""
    result: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep or not key.strip():
            raise ValueError(f"header line {line!r} is not 'Name: value'")
        result[key.strip()] = value.strip()
    return result


def decode_number(text: str) -> int | float:
    """``"1"`` -> 1, ``"0.6"`` -> 0.6; anything else raises ValueError."""
    stripped = text.strip()
    try:
        return int(stripped)
    except ValueError:
        number = float(stripped)
    if not math.isfinite(number):
        raise ValueError(f"{text!r} is not a finite number")
    return number


def decode_coordinates(text: str) -> list[list[int | float]]:
    """``"10,20,30,40|1,2,3,4"`` -> ``[[10, 20, 30, 40], [1, 2, 3, 4]]``."""
    boxes: list[list[int | float]] = []
    for group in text.split("|"):
        numbers = [decode_number(n) for n in group.split(",")]
        if len(numbers) != 4:
            raise ValueError(f"'{group}' is not four numbers x,y,width,height")
        boxes.append(numbers)
    return boxes
