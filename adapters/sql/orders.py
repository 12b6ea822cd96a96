"""PLACEHOLDER: to be written (see the area's facade module)."""

from sqlalchemy import Engine


class SqlOrderQueries:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
