"""ASL text -> validated, immutable compiled model (pure).

Entry point: :func:`heaviside.definition.loader.load_definition`.
"""
