"""Implementations of the facade's ports: SQL (classic database, CRM Lite's store) and SOAP."""
