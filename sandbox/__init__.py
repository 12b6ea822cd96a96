"""Demo and sandbox: a classic database full of Swedish demo data (``demo_data``) and, beside it,
stand-ins for the classic SOAP services (``sandbox.soap``). Never imported by facade, adapters or
views: only ``crm-lite demo`` / ``crm-lite demo-data`` and tests use it."""
