"""CRM Lite's use cases and domain vocabulary. Imports no Flask, SQLAlchemy or zeep."""
