"""Cloudinary's APIs: credentials and the secrets they hold, the HTTP transport with its retry
policy and status-to-error mapping, the Admin and Upload APIs, and the codec between typed
presets and the wire forms.
"""
