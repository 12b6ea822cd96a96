"""SQLAlchemy 2 Core adapters over the classic database and CRM Lite's own store."""
