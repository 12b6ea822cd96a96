"""Marker for texts the facade produces: ``N_("…")`` keeps them English msgids that
``pybabel extract -k N_`` finds; the views translate them when showing them."""


def N_(text: str) -> str:
    """Mark ``text`` for translation without translating it here."""
    return text
