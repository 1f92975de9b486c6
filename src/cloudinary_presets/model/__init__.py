"""Typed presets and the values they hold: fields, moderation, transformations, the rule.

Nothing here does I/O. The package stays import-light on purpose: the emulator imports
``model.moderation_rule`` (standard library only) without pulling in pydantic.
"""
