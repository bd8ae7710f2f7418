"""gridreg: field collection and registry for grid-based public services.

``create_app`` lives in ``server.app``; importing this package does nothing else,
so pure modules (``server.domain``, ``server.forms.expr``) load without Flask.
"""
