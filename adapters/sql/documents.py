"""PLACEHOLDER: to be written."""


class SqlDocumentQueries:
    def __init__(self, engine, files) -> None:
        self.engine = engine
        self.files = files
