"""Tests for ingest.web against a real HTTP server on 127.0.0.1; nothing else is contacted."""

import contextlib
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from ingest.errors import FetchError
from ingest.web import USER_AGENT, check_links, fetch

ALLOW = ("127.0.0.1",)
ETAG = '"v1"'
LAST_MODIFIED = "Wed, 25 Nov 2026 16:40:00 GMT"
PAGE = b"<html><body><p>Backpropagation, explained.</p></body></html>"
BIG = 2_000_000
METADATA = "http://169.254.169.254/latest/meta-data/"


class _Handler(BaseHTTPRequestHandler):
    user_agents: list[str] = []

    def log_message(self, format, *args):  # keep test output clean
        pass

    def do_HEAD(self):
        if self.path == "/no-head":
            self._empty(405)
        else:
            self.do_GET()

    def do_GET(self):
        routes = {
            "/page": self._page,
            "/redirect": lambda: self._redirect("/page"),
            "/loop": lambda: self._redirect("/loop"),
            "/to-metadata": lambda: self._redirect(METADATA),
            "/big": lambda: self._big(declare_length=True),
            "/big-undeclared": lambda: self._big(declare_length=False),
            "/slow": self._slow,
            "/no-head": self._page,
        }
        # The client hangs up on purpose when a size or time limit is hit.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            routes.get(self.path, lambda: self._empty(404))()

    def _empty(self, status):
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _page(self):
        type(self).user_agents.append(self.headers.get("User-Agent", ""))
        etag, since = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
        if etag == ETAG or since == LAST_MODIFIED:
            self.send_response(304)
            self.send_header("ETag", ETAG)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.send_header("ETag", ETAG)
        self.send_header("Last-Modified", LAST_MODIFIED)
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(PAGE)

    def _redirect(self, location):
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _big(self, declare_length):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        if declare_length:
            self.send_header("Content-Length", str(BIG))
        self.end_headers()  # HTTP/1.0 without a length: the body ends when the socket closes
        for _ in range(BIG // 100_000):
            self.wfile.write(b"x" * 100_000)

    def _slow(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        stop = time.monotonic() + 10  # bounded, so a broken client cannot keep a thread forever
        while time.monotonic() < stop:
            self.wfile.write(b"x")
            self.wfile.flush()
            time.sleep(0.2)


@pytest.fixture(scope="module")
def base():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    # A proxy from the environment would be contacted instead of the local server.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


class _LoopbackOnly(httpx.HTTPTransport):
    """Transport that records each host asked for and fails the test on any non-loopback one."""

    def __init__(self):
        super().__init__()
        self.hosts = []

    def handle_request(self, request):
        self.hosts.append(request.url.host)
        assert request.url.host in ("127.0.0.1", "localhost"), f"contacted {request.url}"
        return super().handle_request(request)


@pytest.fixture
def guarded():
    transport = _LoopbackOnly()
    # follow_redirects=True proves fetch never lets the client follow a Location on its own.
    with httpx.Client(transport=transport, follow_redirects=True) as client:
        yield client, transport


def test_page_is_fetched_with_validators(base):
    page = fetch(f"{base}/page", allowed_hosts=ALLOW)
    assert (page.status, page.content, page.content_type) == (200, PAGE, "text/html")
    assert (page.etag, page.last_modified) == (ETAG, LAST_MODIFIED)
    assert page.url == f"{base}/page" and not page.not_modified
    assert time.strptime(page.fetched_at, "%Y-%m-%dT%H:%M:%SZ")
    assert _Handler.user_agents[-1] == USER_AGENT == "Mentor/0.1 (+local knowledge base)"


@pytest.mark.parametrize(
    "validators", [{"etag": ETAG}, {"last_modified": LAST_MODIFIED}], ids=["etag", "last-modified"]
)
def test_unchanged_page_is_not_modified(base, validators):
    page = fetch(f"{base}/page", allowed_hosts=ALLOW, **validators)
    assert page.not_modified and page.status == 304
    assert page.content == b""
    assert (page.etag, page.last_modified) == (ETAG, validators.get("last_modified"))


def test_missing_page_names_status_and_url(base):
    with pytest.raises(FetchError) as caught:
        fetch(f"{base}/missing", allowed_hosts=ALLOW)
    assert str(caught.value) == (f"{base}/missing: HTTP 404 Not Found; fix or remove the URL in knowledge/sources.toml")


def test_redirect_on_same_server_is_followed(base):
    page = fetch(f"{base}/redirect", allowed_hosts=ALLOW)
    assert (page.url, page.status, page.content) == (f"{base}/page", 200, PAGE)


def test_redirect_loop_is_cut_off(base):
    with pytest.raises(FetchError, match=r"/loop: more than 3 redirects"):
        fetch(f"{base}/loop", allowed_hosts=ALLOW, max_redirects=3)


def test_loopback_is_refused_unless_allowed(base, guarded):
    client, transport = guarded
    with pytest.raises(FetchError) as caught:
        fetch(f"{base}/page", client=client)
    assert str(caught.value) == (
        f"refused {base}/page: 127.0.0.1 is a loopback address; allow it with the setting allowed_hosts"
    )
    assert transport.hosts == []
    assert fetch(f"{base}/page", allowed_hosts=ALLOW, client=client).content == PAGE


def test_localhost_is_refused_unless_allowed(base):
    url = base.replace("127.0.0.1", "localhost") + "/page"
    with pytest.raises(FetchError, match=r"is a loopback address; allow it with the setting"):
        fetch(url, allowed_hosts=ALLOW)  # the exemption matches the host name exactly
    assert fetch(url, allowed_hosts=("localhost",)).content == PAGE


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "only http and https URLs are fetched"),
        ("ftp://127.0.0.1/x", "only http and https URLs are fetched"),
        ("javascript:alert(1)", "only http and https URLs are fetched"),
        ("example.com/page", "only http and https URLs are fetched"),
        ("http:///page", "the URL has no host name"),
        ("http://169.254.169.254/", "169.254.169.254 is a link-local address"),
        ("http://[::ffff:169.254.169.254]/", "169.254.169.254 is a link-local address"),
        ("http://[::1]:8080/", "::1 is a loopback address"),
        ("http://0.0.0.0/", "0.0.0.0 is an unspecified address"),
        ("http://10.1.2.3/", "10.1.2.3 is a private address"),
        ("http://224.0.0.1/", "224.0.0.1 is a multicast address"),
        ("http://240.0.0.1/", "240.0.0.1 is a reserved address"),
        ("http://100.100.100.200/", "100.100.100.200 is a non-public (shared or special-purpose) address"),
        ("http://100.64.0.1/", "100.64.0.1 is a non-public (shared or special-purpose) address"),
    ],
)
def test_unsafe_urls_are_refused_before_connecting(guarded, url, reason):
    client, transport = guarded
    with pytest.raises(FetchError) as caught:
        fetch(url, client=client)
    assert str(caught.value).startswith(f"refused {url}: {reason}")
    assert transport.hosts == []


def test_redirect_to_metadata_address_is_refused(base, guarded):
    client, transport = guarded
    with pytest.raises(FetchError) as caught:
        fetch(f"{base}/to-metadata", allowed_hosts=ALLOW, client=client)
    assert str(caught.value) == (
        f"refused {METADATA}: 169.254.169.254 is a link-local address; allow it with the setting allowed_hosts"
    )
    assert transport.hosts == ["127.0.0.1"]


@pytest.mark.parametrize("path", ["/big", "/big-undeclared"])
def test_oversize_body_is_refused(base, path):
    with pytest.raises(FetchError) as caught:
        fetch(f"{base}{path}", allowed_hosts=ALLOW, max_bytes=1_000_000)
    assert str(caught.value).startswith(
        f"{base}{path}: body is larger than max_bytes=1000000; raise it or fix or remove"
    )


def test_slow_loris_is_cut_off_at_the_deadline(base):
    # A byte every 0.2 s for 10 s: no single read waits a second, and the body ends without an
    # error, so only a deadline on the whole fetch gives this error (no timing needed to tell).
    with pytest.raises(FetchError, match=r"/slow: timed out after 1 s; raise the timeout"):
        fetch(f"{base}/slow", allowed_hosts=ALLOW, timeout=1)


def test_connection_refused_is_one_line():
    with socket.socket() as probe:  # a port that was free a moment ago has no listener now
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/"
    with pytest.raises(FetchError) as caught:
        fetch(url, allowed_hosts=ALLOW, timeout=2)
    message = str(caught.value)
    assert message.startswith(f"{url}: could not fetch (") and "\n" not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_check_links_reports_live_and_dead_links(base):
    urls = [f"{base}/page", f"{base}/no-head", f"{base}/redirect", f"{base}/missing"]
    results = check_links([*urls, "file:///etc/passwd"], allowed_hosts=ALLOW)
    assert [(r.url, r.ok) for r in results] == [
        (urls[0], True),
        (urls[1], True),
        (urls[2], True),
        (urls[3], False),
        ("file:///etc/passwd", False),
    ]
    assert [r.detail for r in results[:4]] == ["200 OK", "200 OK", "200 OK", "HTTP 404 Not Found"]
    assert "only http and https URLs are fetched" in results[4].detail


def test_check_links_applies_the_address_check(base):
    [result] = check_links([f"{base}/page"])
    assert not result.ok
    assert "127.0.0.1 is a loopback address" in result.detail


def test_the_connection_goes_to_the_address_that_was_checked(monkeypatch):
    """A name that resolves to a public address when checked and to loopback when looked up
    again (DNS rebinding) is fetched from the checked address, with its name in Host.

    No DNS server can answer both ways offline, so the resolver is replaced, and the transport
    answers without connecting anywhere.
    """
    answers = iter([[(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("8.8.8.8", 80))]])
    loopback = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 80))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: next(answers, loopback))
    seen = []

    def answer(request):
        seen.append((request.url.host, request.headers["host"]))
        return httpx.Response(200, content=PAGE, headers={"content-type": "text/html"})

    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        page = fetch("http://rebind.example/page", client=client)
    assert seen == [("8.8.8.8", "rebind.example")]
    assert page.url == "http://rebind.example/page" and page.content == PAGE
