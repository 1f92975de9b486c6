"""Every invalid definition is reported exactly: location, path, message, exit 1, no traceback.

One fixture per problem under ``fixtures/invalid/`` (binary ones are written by the test
from bytes). ``EXPECTED`` below is the whole contract in one table: fixture -> the exact
problem line(s) ``presets validate`` prints (``file:line:col: error: path: message``; the
fixture's own file name is put in front of each line, except for the lines of a fixture
folder, which name their files) and what the JSON Schema has to say about the same data:

* ``model``: the data reaches the models; ``schemas/preset.schema.json`` must reject it too;
* ``loader``: the strict reader refuses the bytes or the YAML (duplicate keys, aliases,
  tags, encodings...), so there is no data to give a schema; the test checks that the
  reader refuses it;
* ``tree``: a problem between files (duplicate names); each file alone is valid both ways;
* ``limit``: a difference JSON Schema cannot express; the schema is checked to *accept*
  it, so the marker has to go the day the schema learns it.
"""

# The expected lines are long on purpose: each one is exactly what a user sees.
# ruff: noqa: E501

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from defs_support import INVALID, Runner, schema_errors

from cloudinary_presets.definitions.loader import validate_document, validation_context
from cloudinary_presets.definitions.strict_yaml import MAX_BYTES, decode, parse
from cloudinary_presets.errors import DefinitionError

MODEL, LOADER, TREE, LIMIT = "model", "loader", "tree", "limit"

#: JSON Schema compares strings exactly; the model lower-cases formats before comparing
JSON_CASE = "uniqueItems cannot compare case-insensitively (jpg vs JPG)"
#: JSON has one number type: 10.0 is an integer to JSON Schema, a float to YAML and pydantic
JSON_INTEGER = "JSON Schema's integer includes 10.0"
#: python-jsonschema runs patterns with Python's re, where `$` also matches before a final
#: newline; ECMA-262 (editors) does not, and the model uses fullmatch
PYTHON_DOLLAR = "`^...$` accepts a trailing newline under Python's re"


@dataclass(frozen=True)
class Case:
    lines: tuple[str, ...]
    schema: str = MODEL
    reason: str = ""
    data: bytes | None = None  # written by the test instead of a committed file


def model(*lines: str) -> Case:
    return Case(lines)


def loader(*lines: str) -> Case:
    return Case(lines, LOADER)


def tree(*lines: str) -> Case:
    return Case(lines, TREE)


def limit(reason: str, *lines: str) -> Case:
    return Case(lines, LIMIT, reason)


def generated(data: bytes, *lines: str) -> Case:
    return Case(lines, LOADER, data=data)


OVERSIZE = b"name: oversize\n" + b"#" * MAX_BYTES + b"\n"

# fmt: off
EXPECTED: dict[str, Case] = {
    # ---------- YAML hazards: refused by the strict reader, before any schema sees the data
    "yaml-alias.yaml": loader("4:9: error: aliases (*common) are not allowed; write the value out in full"),
    "yaml-anchor.yaml": loader("4:9: error: anchors (&common) are not allowed; write the value out in full"),
    "yaml-billion-laughs.yaml": loader("3:4: error: anchors (&a) are not allowed; write the value out in full"),
    "yaml-comment-only.yaml": model("1:1: error: the file is empty; a preset file is a mapping with at least `name:` (see schemas/preset.schema.json)"),
    "yaml-duplicate-key-in-flow-step.yaml": loader("5:32: error: duplicate key 'crop' (first defined at line 5)"),
    "yaml-duplicate-key-in-settings.yaml": loader("6:3: error: duplicate key 'folder' (first defined at line 4)"),
    "yaml-duplicate-key-in-thresholds.yaml": loader("7:9: error: duplicate key 'violence' (first defined at line 6)"),
    "yaml-duplicate-key-top-level.yaml": loader("3:1: error: duplicate key 'name' (first defined at line 2)"),
    "yaml-empty-file.yaml": model("1:1: error: the file is empty; a preset file is a mapping with at least `name:` (see schemas/preset.schema.json)"),
    "control-bidi-override.yaml": loader("4:11: error: U+202E (RIGHT-TO-LEFT OVERRIDE) is not allowed (written as an escape): invisible and control characters can make a reviewed file read differently from what is sent; remove it"),
    "control-zero-width.yaml": loader("4:10: error: U+200B (ZERO WIDTH SPACE) is not allowed (written as an escape): invisible and control characters can make a reviewed file read differently from what is sent; remove it"),
    "control-raw-bidi-isolate.yaml": generated("name: x\nsettings:\n  folder: a\u2067b\n".encode(), "3:12: error: U+2067 (RIGHT-TO-LEFT ISOLATE) is not allowed: invisible and control characters can make a reviewed file read differently from what is sent; remove it"),
    "yaml-escaped-control-character.yaml": loader("4:11: error: control character U+0000 is not allowed (written as an escape); remove it"),
    "yaml-key-boolean.yaml": loader("4:3: error: keys must be strings; quote it: 'true'"),
    "yaml-key-integer.yaml": loader("3:1: error: keys must be strings; quote it: '1'"),
    "yaml-key-multiline.yaml": loader("3:3: error: keys must be on one line"),
    "yaml-key-null.yaml": loader("3:1: error: keys must be strings; quote it: '~'"),
    "yaml-key-sequence.yaml": loader("3:3: error: keys must be plain strings, not mappings or lists"),
    "yaml-merge-key.yaml": loader("4:3: error: merge keys (<<) are not allowed; write the keys out"),
    "yaml-nesting-too-deep.yaml": loader("4:25: error: nesting is too deep (the limit is 12 levels)"),
    "yaml-recursive-alias.yaml": loader("4:9: error: anchors (&x) are not allowed; write the value out in full"),
    "yaml-syntax-bad-indentation.yaml": loader("5:8: error: mapping values are not allowed in this context; check the indentation, or quote a value with ': '"),
    "yaml-syntax-reserved-character.yaml": loader("4:11: error: found character '@' that cannot start any token; quote the value"),
    "yaml-syntax-unclosed-list.yaml": loader("5:9: error: did not find expected ',' or ']' while parsing a flow sequence started at line 4, column 9; close the list with ']' and separate items with ','"),
    "yaml-syntax-unclosed-quote.yaml": loader("4:1: error: found unexpected end of stream while scanning a quoted scalar started at line 2, column 7; close the quote or bracket"),
    "yaml-tab-in-value.yaml": loader("4:12: error: tab character in an unquoted value; use spaces, or quote the value"),
    "yaml-tab-indentation.yaml": loader("4:1: error: tab character used for indentation; indent with spaces"),
    "yaml-tag-binary.yaml": loader("4:11: error: tag !!binary is not allowed; remove it (only plain YAML values are accepted)"),
    "yaml-tag-custom.yaml": loader("4:11: error: tag !Ref is not allowed; remove it (only plain YAML values are accepted)"),
    "yaml-tag-python-object.yaml": loader("4:11: error: tag !!python/object/apply:os.system is not allowed; remove it (only plain YAML values are accepted)"),
    "yaml-tag-set.yaml": loader("4:9: error: tag !!set is not allowed; remove it (only plain YAML values are accepted)"),
    "yaml-tag-timestamp.yaml": loader("3:14: error: tag !!timestamp is not allowed; remove it (only plain YAML values are accepted)"),
    "yaml-top-level-list.yaml": model("2:1: error: the file is a list; a preset file is a mapping with at least `name:` (see schemas/preset.schema.json)"),
    "yaml-top-level-scalar.yaml": model("2:1: error: the file is a single string of 11 character(s); a preset file is a mapping with at least `name:` (see schemas/preset.schema.json)"),
    "yaml-two-documents.yaml": loader("3:1: error: expected a single YAML document; found a second one (remove `---`)"),
    # ---------- Encodings and control characters: generated from bytes by the test
    "encoding-latin1.yaml": generated(
        b"name: latin-1\nsettings:\n  folder: caf\xe9\n",
        "3:14: error: invalid UTF-8 byte 0xE9; save the file as UTF-8",
    ),
    "encoding-invalid-after-multibyte.yaml": generated(
        "name: multibyte\ndescription: été ".encode() + b"\xff\n",
        "2:18: error: invalid UTF-8 byte 0xFF; save the file as UTF-8",
    ),
    "encoding-utf16-bom.yaml": generated(
        "name: utf16\n".encode("utf-16"), "1:1: error: file is UTF-16 encoded; save it as UTF-8"
    ),
    "encoding-utf16-without-bom.yaml": generated(
        "name: utf16\n".encode("utf-16-le"),
        "1:1: error: file looks UTF-16 or UTF-32 encoded (no BOM); save it as UTF-8",
    ),
    "encoding-utf32-bom.yaml": generated(
        "name: utf32\n".encode("utf-32"), "1:1: error: file is UTF-32 encoded; save it as UTF-8"
    ),
    "control-nul-byte.yaml": generated(
        b"name: nul\nsettings:\n  folder: a\x00b\n",
        "3:12: error: control character U+0000 is not allowed; remove it",
    ),
    "control-escape-byte.yaml": generated(
        b"name: esc\ndescription: colour \x1b[31mred\n",
        "2:21: error: control character U+001B is not allowed; remove it",
    ),
    "control-next-line.yaml": generated(
        "name: nel\nsettings:\n  folder: a\x85b\n".encode(),
        "3:12: error: control character U+0085 is not allowed; remove it",
    ),
    "control-line-separator.yaml": generated(
        "name: ls\nsettings:\n  folder: a\u2028b\n".encode(),
        "3:12: error: control character U+2028 is not allowed; remove it",
    ),
    "size-over-1-mib.yaml": generated(
        OVERSIZE,
        "error: cannot read the file: it is 1048592 bytes; the limit is 1048576 (1 MiB)",
    ),
    # ---------- Implicit typing: YAML 1.2 core scalars keep `yes`, `0755`, `1:30`, dates as strings
    "scalar-inf-auto-tagging.yaml": model("4:17: error: settings.auto_tagging: must be a number from 0 to 1, got inf"),
    "scalar-inf-threshold.yaml": model("6:26: error: settings.moderation[0].aws_rek.explicit_nudity: threshold must be a number with 0 < t <= 1, or `ignore`, got inf"),
    "scalar-nan-threshold.yaml": model("6:17: error: settings.moderation.aws_rek.violence: threshold must be a number with 0 < t <= 1, or `ignore`, got nan"),
    "scalar-norway-overwrite-off.yaml": model("4:14: error: settings.overwrite: expected true or false, got the string 'off'"),
    "scalar-norway-unsigned-yes.yaml": model("3:11: error: unsigned: expected true or false, got the string 'yes'"),
    "scalar-number-in-string-field.yaml": model("4:11: error: settings.folder: expected a string, got the number 2024; quote it to keep it as written"),
    "scalar-octal-in-number-field.yaml": model("6:18: error: settings.responsive_breakpoints[0].max_width: expected a whole number, got the string '0755'"),
    "scalar-octal-in-unit-field.yaml": model("4:17: error: settings.auto_tagging: expected a number from 0 to 1, got the string '0755'"),
    "scalar-quoted-true.yaml": model("3:11: error: unsigned: expected true or false, got the string 'true'"),
    "scalar-sexagesimal.yaml": model("4:17: error: settings.auto_tagging: expected a number from 0 to 1, got the string '1:30'"),
    "scalar-timestamp.yaml": model("5:16: error: settings.moderation.duplicate: threshold must be a number from 0 to 1 (0 only indexes the image), got 2024-01-01"),
    "scalar-version-like-tag.yaml": model("4:19: error: settings.tags[1]: expected a string, got the number 1.1; quote it to keep it as written"),
    # ---------- Wrong types: strict, never coerced
    "type-access-control-map.yaml": model("4:19: error: settings.access_control: expected a list, got a map"),
    "type-auto-tagging-boolean.yaml": model("4:17: error: settings.auto_tagging: expected a number from 0 to 1, got the boolean true"),
    "type-auto-transcription-string.yaml": model("4:23: error: settings.auto_transcription: expected true/false or a map with `translate: [languages]`, got the string 'yes'"),
    "type-breakpoint-width-float.yaml": limit(JSON_INTEGER, "6:18: error: settings.responsive_breakpoints[0].max_width: expected a whole number, got the number 10.0"),
    "type-breakpoint-width-string.yaml": model("6:18: error: settings.responsive_breakpoints[0].max_width: expected a whole number, got the string '1000'"),
    "type-context-value-number.yaml": model("6:14: error: settings.context.version: expected a string, got the number 3; quote it to keep it as written"),
    "type-coordinates-boolean.yaml": model("4:24: error: settings.custom_coordinates[0]: each box is [x, y, width, height] of non-negative whole numbers, got [true, 1, 2, 3]"),
    "type-coordinates-string.yaml": model("4:21: error: settings.face_coordinates: expected a non-empty list of [x, y, width, height], got the string '1,2,3,4'"),
    "type-eager-item-number.yaml": model("6:7: error: settings.eager[1]: expected a transformation, got the number 5"),
    "type-eager-string.yaml": model("4:10: error: settings.eager: expected a non-empty list of transformations, got the string 'w_100'"),
    "type-extra-setting-list.yaml": model("4:14: error: extra_settings.new_param: expected a raw wire value (a string, boolean or number), got a list"),
    "type-folder-boolean.yaml": model("4:11: error: settings.folder: expected a string, got the boolean true"),
    "type-folder-list.yaml": model("4:11: error: settings.folder: expected a string, got a list"),
    "type-folder-map.yaml": model("4:11: error: settings.folder: expected a string, got a map"),
    "type-headers-list.yaml": model("4:12: error: settings.headers: expected a map of header: value, got a list"),
    "type-ignore-lints-string.yaml": model("3:15: error: ignore_lints: expected a list, got the string 'insecure-url'"),
    "type-metadata-list-of-numbers.yaml": model("5:13: error: settings.metadata.sizes[0]: expected a string, got the number 1; quote it to keep it as written"),
    "type-moderation-number.yaml": model("4:15: error: settings.moderation: expected a moderator name, a map or a list, got the number 5"),
    "type-name-number.yaml": model("2:7: error: name: expected a string, got the number 12345; quote it to keep it as written"),
    "type-parameter-whitelist-string.yaml": model("3:22: error: parameter_whitelist: expected a list of parameter names, e.g. [a, b], got the string 'all'"),
    "type-rekognition-list.yaml": model("5:14: error: settings.moderation.aws_rek: expected a map of category: threshold, got a list"),
    "type-settings-list.yaml": model("3:11: error: settings: expected a map, got a list"),
    "context-trailing-backslash.yaml": model("4:16: error: settings.context.a: value contains a backslash, which Cloudinary's `k=v|k2=v2` encoding cannot carry unambiguously (it is that encoding's escape character); remove it"),
    "context-backslash-inside.yaml": model("4:19: error: settings.context.path: value contains a backslash, which Cloudinary's `k=v|k2=v2` encoding cannot carry unambiguously (it is that encoding's escape character); remove it"),
    "header-value-spaces.yaml": model("4:27: error: settings.headers.X-Robots-Tag: header values may not be blank or start or end with spaces"),
    "metadata-list-quote.yaml": model("4:28: error: settings.metadata.colors[1]: 'say \"hi\"': list items may not contain \" or \\ (the list travels as JSON inside Cloudinary's k=v|... form)"),
    "null-setting.yaml": model("4:10: error: settings.folder: value is empty (null); write a value, or remove the key to leave it unset"),
    "type-settings-null.yaml": model("3:10: error: settings: value is empty (null); write a value, or remove the key to leave it unset"),
    "type-tags-number.yaml": model("4:9: error: settings.tags: expected a list of tags, e.g. [a, b], got the number 5"),
    "type-tags-string.yaml": model("4:9: error: settings.tags: expected a list of tags, e.g. [a, b], got the string 'a,b'"),
    "type-transformation-number.yaml": model("4:19: error: settings.transformation: expected a transformation string or a list of steps, got the number 5"),
    "type-transformation-step-boolean.yaml": model("5:27: error: settings.transformation[0].width: expected a string or a number, got the boolean true"),
    "type-unsigned-number.yaml": model("3:11: error: unsigned: expected true or false, got the number 1"),
    # ---------- Ranges
    "range-auto-tagging-above-one.yaml": model("4:17: error: settings.auto_tagging: must be a number from 0 to 1, got 1.5"),
    "range-breakpoint-width-zero.yaml": model("6:18: error: settings.responsive_breakpoints[0].max_width: must be greater than 0, got the number 0"),
    "range-coordinates-negative.yaml": model("4:22: error: settings.face_coordinates[0]: each box is [x, y, width, height] of non-negative whole numbers, got [1, 2, -3, 4]"),
    "range-coordinates-three-numbers.yaml": model("6:7: error: settings.custom_coordinates[1]: each box is [x, y, width, height] of non-negative whole numbers, got [1, 2, 3]"),
    "range-duplicate-above-one.yaml": model("5:18: error: settings.moderation[0].duplicate: threshold must be a number from 0 to 1 (0 only indexes the image), got 1.5"),
    "range-format-not-an-extension.yaml": model("4:26: error: settings.allowed_formats[1]: 'jp-g' is not a valid format: a file extension, 1 to 16 of a-z 0-9"),
    "range-region-point-three-numbers.yaml": model("5:12: error: settings.regions.logo[0]: expected at most 2 item(s), got 3"),
    "range-tag-too-long.yaml": model("4:10: error: settings.tags[0]: 'tttttttttttttttttttttttttttttttttttttttt...' (256 characters) is not a valid tag: no commas, at most 255 characters"),
    "range-threshold-above-one.yaml": model("6:26: error: settings.moderation[0].aws_rek.explicit_nudity: threshold must be > 0 and <= 1, got 1.5"),
    "range-threshold-negative.yaml": model("6:14: error: settings.moderation.aws_rek_video.drugs: threshold must be > 0 and <= 1, got -0.1"),
    "range-threshold-wire.yaml": model("4:15: error: settings.moderation.aws_rek.violence: threshold must be > 0 and <= 1, got 1.5"),
    "range-threshold-word.yaml": model("6:17: error: settings.moderation.aws_rek.violence: threshold must be a number with 0 < t <= 1, or `ignore`, got 'high'"),
    "range-threshold-zero.yaml": model("6:17: error: settings.moderation.aws_rek.violence: threshold must be > 0 and <= 1, got 0"),
    # ---------- Misspellings: unknown keys and values name the closest valid one
    "typo-async-attribute-name.yaml": model("4:3: error: settings.async_: unknown key `async_` (did you mean `async`?)"),
    "typo-auto-transcription-key.yaml": model(
        "5:5: error: settings.auto_transcription: missing required key `translate`",
        "5:5: error: settings.auto_transcription.translte: unknown key `translte` (did you mean `translate`?)",
    ),
    "typo-breakpoint-key.yaml": model(
        "5:7: error: settings.responsive_breakpoints[0]: missing required key `max_width`",
        "6:7: error: settings.responsive_breakpoints[0].max_widht: unknown key `max_widht` (did you mean `max_width`?)",
    ),
    "typo-categorization.yaml": model("4:20: error: settings.categorization[0]: 'google_taging' is not one of rekognition_scene, imagga_tagging, aws_rek_tagging, google_video_tagging, google_tagging, visenze_recognition, azure_video_indexer (did you mean `google_tagging`?)"),
    "typo-delivery-type.yaml": model("4:9: error: settings.type: must be one of 'upload', 'private', 'authenticated' or 'asset', got the string 'privat' (did you mean `private`?)"),
    "typo-eager-map-key.yaml": model("6:7: error: settings.eager[0].fmt: unknown key `fmt` (did you mean `format`?); an eager map has `transformation` and optionally `format`"),
    "typo-lint-id.yaml": model("3:16: error: ignore_lints[0]: unknown lint id 'unsigned-without-moderaton' (did you mean `unsigned-without-moderation`?)"),
    "typo-moderation-kind-key.yaml": model("5:5: error: settings.moderation.aws_reck: unknown moderator aws_reck (did you mean `aws_rek`?); expected one of manual, webpurify, aws_rek, aws_rek_video, perception_point, google_video_moderation, duplicate"),
    "typo-moderation-kind.yaml": model("4:15: error: settings.moderation: unknown moderator aws_reck (did you mean `aws_rek`?); expected one of manual, webpurify, aws_rek, aws_rek_video, perception_point, google_video_moderation, duplicate"),
    "typo-parameter-whitelist.yaml": model("3:32: error: parameter_whitelist[1]: unknown upload parameter 'tgs' (did you mean `tags`?)"),
    "typo-raw-convert.yaml": model("4:16: error: settings.raw_convert: invalid raw_convert 'google_speach' (did you mean `google_speech`?): expected aspose, extract_text, google_speech[:vtt|:srt][:language] or azure_video_indexer[:...]"),
    "typo-rekognition-category-wire.yaml": model("4:15: error: settings.moderation.aws_rek.violenc: unknown aws_rek category `violenc` (did you mean `violence`?); a misspelt category is silently not moderated (declare newer names in `moderation.extra_categories` of cloudinary-presets.yaml)"),
    "typo-rekognition-category.yaml": model("6:7: error: settings.moderation.aws_rek.explicit_nudty: unknown aws_rek category `explicit_nudty` (did you mean `explicit_nudity`?); a misspelt category is silently not moderated (declare newer names in `moderation.extra_categories` of cloudinary-presets.yaml)"),
    "typo-settings-key.yaml": model("4:3: error: settings.allowed_format: unknown key `allowed_format` (did you mean `allowed_formats`?)"),
    "typo-top-level-key.yaml": model("3:1: error: unsigend: unknown key `unsigend` (did you mean `unsigned`?)"),
    "typo-transformation-long-name.yaml": model("5:20: error: settings.transformation[0].widht: unknown transformation parameter `widht` (did you mean `width`?)"),
    "typo-transformation-short-key.yaml": model("4:19: error: settings.transformation: unknown transformation parameter `ww` in 'ww_100' (did you mean `w`?)"),
    # ---------- Names
    "name-duplicate": tree(
        "name-duplicate/second.yaml:4:7: error: name: duplicate preset name 'shared-name': also defined at name-duplicate/first.yaml:2:7",
        "name-duplicate/first.yaml:2:7: error: name: duplicate preset name 'shared-name': also defined at name-duplicate/second.yaml:4:7",
    ),
    "name-empty.yaml": model("2:7: error: name: invalid name '': use 1 to 255 of A-Z a-z 0-9 _ - (Cloudinary API paths break on '/' and other characters)"),
    "name-missing.yaml": model("2:1: error: missing required key `name`"),
    "name-slash.yaml": model("2:7: error: name: invalid name 'team/avatars': use 1 to 255 of A-Z a-z 0-9 _ - (Cloudinary API paths break on '/' and other characters)"),
    "name-space.yaml": model("2:7: error: name: invalid name 'my preset': use 1 to 255 of A-Z a-z 0-9 _ - (Cloudinary API paths break on '/' and other characters)"),
    "name-trailing-newline.yaml": limit(PYTHON_DOLLAR, "2:7: error: name: invalid name 'shop\\n': use 1 to 255 of A-Z a-z 0-9 _ - (Cloudinary API paths break on '/' and other characters)"),
    "name-too-long.yaml": model("2:7: error: name: invalid name 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...' (256 characters): use 1 to 255 of A-Z a-z 0-9 _ - (Cloudinary API paths break on '/' and other characters)"),
    # ---------- Moderation chains
    "moderation-category-twice-wire.yaml": model("4:15: error: settings.moderation.aws_rek.violence: aws_rek: category `violence` is given twice"),
    "moderation-duplicate-without-threshold.yaml": model("4:15: error: settings.moderation: duplicate needs a threshold: `duplicate: 0.8`"),
    "moderation-google-level.yaml": model("5:30: error: settings.moderation.google_video_moderation: likelihood must be one of very_unlikely, unlikely, possible, likely, very_likely, got maybe"),
    "moderation-manual-not-last-wire.yaml": model("4:15: error: settings.moderation: `manual` can only be the last moderator of a chain"),
    "moderation-manual-not-last.yaml": model("4:16: error: settings.moderation[0]: `manual` can only be the last moderator of a chain"),
    "moderation-manual-with-settings.yaml": model("4:24: error: settings.moderation.manual: manual takes no settings; write just `manual`"),
    "moderation-moderator-twice.yaml": model("7:7: error: settings.moderation[2]: moderator `webpurify` appears twice in the chain"),
    "moderation-two-kinds-in-one-map.yaml": model("5:5: error: settings.moderation: each moderator is a name, or a map with exactly one name as its key"),
    # ---------- Empty values: remove the key instead
    "empty-access-control.yaml": model("4:19: error: settings.access_control: list is empty; remove the key to leave it unset"),
    "empty-allowed-formats.yaml": model("4:20: error: settings.allowed_formats: list is empty; remove the key to leave it unset"),
    "empty-context.yaml": model("4:12: error: settings.context: map is empty; remove the key to leave it unset"),
    "empty-description.yaml": model("3:14: error: description: value is empty; remove the key to leave it unset"),
    "empty-moderation-chain.yaml": model("4:15: error: settings.moderation: moderation chain is empty; remove the key instead"),
    "empty-tags.yaml": model("4:9: error: settings.tags: list is empty; remove the key to leave it unset"),
    "empty-transformation.yaml": model("4:19: error: settings.transformation: transformation is empty"),
    # ---------- URLs
    "url-http-with-credentials.yaml": model("4:21: error: settings.notification_url: URL must not contain a user name or password; use a token in the path"),
    "url-not-http.yaml": model("4:13: error: settings.callback: expected an http(s) URL such as https://example.com/hook, got 'ftp://example.com/done'"),
    "url-with-space.yaml": model("4:10: error: settings.proxy: URL must not contain spaces"),
    # ---------- extra_settings and misplaced keys
    "extra-setting-invalid-key.yaml": model("4:3: error: extra_settings.NewParam: 'NewParam' is not an upload parameter name (a-z, 0-9, _)"),
    "extra-setting-modelled-key.yaml": model("4:3: error: extra_settings.folder: `folder` is modelled: write it under settings (settings.folder)"),
    "extra-setting-nan.yaml": model("4:14: error: extra_settings.new_param: must be a finite number"),
    "extra-setting-top-level-key.yaml": model("4:3: error: extra_settings.unsigned: `unsigned` is a top-level key of the preset, not an extra setting"),
    "misplaced-folder-at-top-level.yaml": model("3:1: error: folder: unknown key `folder`: `folder` is an upload parameter: put it under `settings:`"),
    "misplaced-unsigned-under-settings.yaml": model("4:3: error: settings.unsigned: unknown key `unsigned`: `unsigned` is a top-level key of the preset, not a setting"),
    # ---------- Other values
    "context-key-invalid.yaml": model("5:5: error: settings.context.a=b: key 'a=b' may only use letters, digits and _ . : - (no = or |)"),
    "formats-duplicate-case.yaml": limit(JSON_CASE, "4:31: error: settings.allowed_formats[2]: 'JPG' is listed twice"),
    "header-name-invalid.yaml": model("5:5: error: settings.headers.X Robots: 'X Robots' is not an HTTP header name (letters, digits and -)"),
    "region-name-invalid.yaml": model("5:5: error: settings.regions.my logo: the string 'my logo' does not match ^[A-Za-z0-9_-]{1,100}$"),
    "transformation-parameter-twice.yaml": model("4:19: error: settings.transformation: 'c_fill,w_100,w_200': parameter `w` appears twice"),
    "transformation-step-value-separator.yaml": model("5:27: error: settings.transformation[0].width: value '100,200' contains ',', '/' or '|', which separate transformations"),
    "transformation-value-with-space.yaml": model("4:19: error: settings.transformation: `w` in 'w_10 0': value '10 0' contains a space; remove it (URL-encode text as %20)"),
}
# fmt: on

COMMITTED = {name: case for name, case in EXPECTED.items() if case.data is None}


def rendered(name: str, case: Case) -> list[str]:
    """The full problem lines of ``case`` (short lines get the fixture name in front)."""
    out = []
    for line in case.lines:
        if line.startswith(f"{name}/"):
            out.append(line)
        elif line[0].isdigit():
            out.append(f"{name}:{line}")
        else:
            out.append(f"{name}: {line}")
    return out


def summary(name: str, case: Case) -> str:
    files = len(list((INVALID / name).glob("*.yaml"))) if case.schema == TREE else 1
    valid = 1 if case.schema == TREE else 0
    return f"{files} file(s), {valid} valid preset(s): {len(case.lines)} error(s), 0 warning(s)"


@pytest.fixture
def fixture_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Where the fixture named by the test parameter lives (generated ones: tmp_path)."""
    name: str = request.param
    data = EXPECTED[name].data
    if data is None:
        return INVALID
    (tmp_path / name).write_bytes(data)
    return tmp_path


# --------------------------------------------------------------------------- the table


def test_the_table_lists_every_committed_fixture_and_nothing_else() -> None:
    on_disk = {p.name for p in INVALID.iterdir() if p.suffix == ".yaml" or p.is_dir()}
    assert on_disk == set(COMMITTED)
    assert len(EXPECTED) >= 45


def test_committed_fixtures_are_utf8_text_that_the_table_can_describe() -> None:
    for path in INVALID.rglob("*.yaml"):
        path.read_text(encoding="utf-8")  # raises if a binary fixture slipped in


@pytest.mark.parametrize(
    ("fixture_dir", "name"), [(n, n) for n in EXPECTED], indirect=["fixture_dir"]
)
def test_invalid_fixture_is_reported_exactly(run: Runner, fixture_dir: Path, name: str) -> None:
    case = EXPECTED[name]
    result = run("validate", name, cwd=fixture_dir)
    assert result.exit_code == 1, result.output
    assert result.problem_lines() == rendered(name, case)
    assert result.lines[-1] == summary(name, case)
    assert result.stderr == ""


def test_all_problems_in_all_files_are_reported_in_one_run(run: Runner) -> None:
    result = run("validate", ".", cwd=INVALID)
    assert result.exit_code == 1
    expected = [line for name, case in COMMITTED.items() for line in rendered(name, case)]
    assert sorted(result.problem_lines()) == sorted(expected)
    files = len(list(INVALID.rglob("*.yaml")))
    assert result.lines[-1] == (
        f"{files} file(s), 1 valid preset(s): {len(expected)} error(s), 0 warning(s)"
    )


def test_json_output_locates_every_problem(run: Runner) -> None:
    result = run("validate", "--format", "json", "range-threshold-above-one.yaml", cwd=INVALID)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False
    assert report["problems"] == [
        {
            "severity": "error",
            "code": None,
            "file": "range-threshold-above-one.yaml",
            "line": 6,
            "column": 26,
            "path": "settings.moderation[0].aws_rek.explicit_nudity",
            "message": "threshold must be > 0 and <= 1, got 1.5",
        }
    ]


# --------------------------------------------------------------------------- the reader's limits


def test_billion_laughs_is_refused_before_any_expansion() -> None:
    """30 levels of nine aliases each would be 9**30 nodes: only refusing early can finish."""
    levels = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    levels += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 30)]
    with pytest.raises(DefinitionError) as info:
        parse("name: lol\n" + "\n".join(levels) + "\n", "lol.yaml")
    assert info.value.problems[0].render() == (
        "lol.yaml:2:5: error: anchors (&l0) are not allowed; write the value out in full"
    )


def test_an_alias_alone_is_refused_at_the_alias() -> None:
    with pytest.raises(DefinitionError) as info:
        parse("name: a\ntags: [x, *y]\n", "alias.yaml")
    assert info.value.problems[0].render() == (
        "alias.yaml:2:11: error: aliases (*y) are not allowed; write the value out in full"
    )


@pytest.mark.parametrize(("depth", "column"), [(12, 0), (13, 15), (100_000, 1003)])
def test_nesting_depth_is_capped_without_recursion(depth: int, column: int) -> None:
    """The root mapping is one level, so 11 lists inside it are the deepest accepted.

    Very deep input trips libyaml's own cap while it scans ahead (column 1003); it is
    reported the same way, never as a RecursionError.
    """
    text = "x: " + "[" * (depth - 1) + "]" * (depth - 1) + "\n"
    if not column:
        assert parse(text, "deep.yaml").data is not None
        return
    with pytest.raises(DefinitionError) as info:
        parse(text, "deep.yaml")
    assert info.value.problems[0].render() == (
        f"deep.yaml:1:{column}: error: nesting is too deep (the limit is 12 levels)"
    )


def test_a_file_of_exactly_the_size_limit_is_read() -> None:
    data = b"name: at-the-limit\n"
    data += b"#" * (MAX_BYTES - len(data) - 1) + b"\n"
    assert len(data) == MAX_BYTES
    assert parse(decode(data, "limit.yaml"), "limit.yaml").data == {"name": "at-the-limit"}


def test_a_utf8_bom_is_accepted() -> None:
    text = decode(b"\xef\xbb\xbfname: bom\n", "bom.yaml")
    assert parse(text, "bom.yaml").data == {"name": "bom"}


def test_yaml_1_2_core_scalars() -> None:
    """What stays a string and what becomes a number or a boolean (the fixtures' premise)."""
    text = (
        "a: yes\nb: off\nc: NO\nd: 0755\ne: 1:30\nf: 2024-01-01\ng: 0x1F\nh: 1_000\n"
        "i: 1.10\nj: 10\nk: -1.5e3\nl: true\nm: False\nn: ~\no: .inf\np: '1'\n"
    )
    data = parse(text, "core.yaml").data
    assert data == {
        "a": "yes", "b": "off", "c": "NO", "d": "0755", "e": "1:30", "f": "2024-01-01",
        "g": "0x1F", "h": "1_000", "i": 1.1, "j": 10, "k": -1500.0, "l": True, "m": False,
        "n": None, "o": float("inf"), "p": "1",
    }  # fmt: skip
    assert type(data["j"]) is int


# --------------------------------------------------------------------------- schema agreement


def _models_accept(path: Path) -> bool:
    """Whether one file passes the models and the per-file definition checks."""
    document = parse(decode(path.read_bytes(), path.name), path.name)
    preset, _ = validate_document(document, validation_context())
    return preset is not None


def _read(path: Path) -> object:
    return parse(decode(path.read_bytes(), path.name), path.name).data


@pytest.mark.parametrize("name", list(EXPECTED))
def test_schema_and_models_agree_on_every_invalid_fixture(name: str) -> None:
    case = EXPECTED[name]
    path = INVALID / name
    if case.schema == LOADER:
        data = case.data if case.data is not None else path.read_bytes()
        with pytest.raises(DefinitionError):
            parse(decode(data, name), name)
        return
    if case.schema == TREE:
        for file in sorted(path.glob("*.yaml")):
            data = _read(file)
            assert _models_accept(file), file
            assert schema_errors(data) == [], file
        return
    data = _read(path)
    assert not _models_accept(path)
    if case.schema == LIMIT:
        assert schema_errors(data) == [], f"the schema now rejects {name}: drop its limit marker"
    else:
        assert schema_errors(data), f"the schema accepts {name}, which the models reject"


def test_the_honest_list_stays_short() -> None:
    """Loader-level fixtures are the reader's business; everything else is a schema question."""
    exempt = {n: c.reason or c.schema for n, c in EXPECTED.items() if c.schema in (TREE, LIMIT)}
    assert exempt == {
        "name-duplicate": TREE,
        "formats-duplicate-case.yaml": JSON_CASE,
        "type-breakpoint-width-float.yaml": JSON_INTEGER,
        "name-trailing-newline.yaml": PYTHON_DOLLAR,
    }
    loader_names = {n for n, c in EXPECTED.items() if c.schema == LOADER}
    assert all(re.match(r"(yaml|encoding|control|size)-", n) for n in loader_names)
