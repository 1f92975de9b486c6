"""Preset definitions on disk: the strict YAML reader, loading, validation, lints, schema,
the YAML writer, project configuration, environments and name resolution.
"""
