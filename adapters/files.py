"""PLACEHOLDER: the classic file store (documents' bytes)."""


class LocalFileStore:
    def __init__(self, root: str) -> None:
        self.root = root
