"""``make bench``: kit databases at several scales, CRM Lite under gunicorn, one table of timings."""
