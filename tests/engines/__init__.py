"""The cross-browser suite: the main flows in Chromium, Firefox and WebKit (Safari's engine).

``drivers.py`` hides Playwright and Selenium behind one small ``BrowserSession`` interface;
``conftest.py`` serves the app once and opens one browser per engine for the whole run.

    .venv/bin/python -m pytest tests/engines -q                          # all three engines
    CRM_LITE_ENGINES=webkit .venv/bin/python -m pytest tests/engines -q  # one engine

Failures keep a screenshot in ``test-artifacts/<engine>-<test>.png``; the login page is kept
at 1280 and 375 px from every engine (``<engine>-login-<width>.png``).
"""
