# CRM Lite — the two commands of the README: `make demo` and `make test`.
# Everything a fresh Debian 12 machine needs is installed from here (apt, pip).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
PORT   ?= 5000
APT_GET := apt-get -o DPkg::Lock::Timeout=300
# Debian packages: ODBC (pyodbc, MariaDB and FreeTDS drivers), Chromium for the browser tests.
APT_RUNTIME := unixodbc odbc-mariadb tdsodbc
APT_TEST    := chromium chromium-driver fonts-dejavu-core firefox-esr webkit2gtk-driver xvfb

.PHONY: demo test install install-test apt-runtime apt-test translations lint bench clean

demo: install
	$(VENV)/bin/crm-lite demo --port $(PORT)

test: install-test
	$(PY) -m pytest -q -p no:cacheprovider

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PIP) install -q -e '.[test]'
	@touch $@

install: apt-runtime $(VENV)/.installed translations-compile

install-test: apt-runtime apt-test $(VENV)/.installed-test translations-compile

# apt only when something is missing, so repeated runs stay fast and need no network.
apt-runtime:
	@missing=""; for p in $(APT_RUNTIME); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) $(APT_GET) update -qq && $(SUDO) $(APT_GET) install -y -qq $$missing; \
	fi

apt-test:
	@missing=""; for p in $(APT_TEST); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) $(APT_GET) update -qq && $(SUDO) $(APT_GET) install -y -qq $$missing; \
	fi

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Translations: English msgids in the code, Swedish (default) and English catalogues.
translations:
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ -k _l -o views/translations/messages.pot .
	$(VENV)/bin/pybabel update -i views/translations/messages.pot -d views/translations --no-fuzzy-matching
	$(VENV)/bin/pybabel compile -d views/translations --use-fuzzy

translations-compile:
	@$(VENV)/bin/pybabel compile -d views/translations

lint:
	$(VENV)/bin/ruff check facade adapters views config sandbox tests

bench: install-test
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) instance .pytest_cache
