"""Cloudinary's APIs: credentials, the HTTP transport, the Admin and Upload APIs, and the codec
between typed presets and the wire forms.
"""
