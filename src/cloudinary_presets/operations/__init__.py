"""The jobs: plan/apply/import workflows, apply execution, the lock, targets, uploads and
moderation simulation.
"""
