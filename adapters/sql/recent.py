"""PLACEHOLDER: to be written."""


class SqlRecentViews:
    def __init__(self, state_engine, classic_engine) -> None:
        self.state_engine = state_engine
        self.classic_engine = classic_engine
