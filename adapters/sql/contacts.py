"""PLACEHOLDER: to be written (contacts tab)."""

from sqlalchemy import Engine


class SqlContactQueries:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
