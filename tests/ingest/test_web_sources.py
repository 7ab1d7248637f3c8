"""Web sources in the manifest: fetched, skipped by ETag when unchanged, failures keep data."""

from http.server import BaseHTTPRequestHandler

import pytest
import servers

from assistant import Mentor, Settings

PAGE = {"body": "", "etag": '"v1"', "gone": False}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the http.server API
        if self.path == "/gone" or PAGE["gone"]:
            self.send_error(404)
            return
        if self.path == "/elsewhere":
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.end_headers()
            return
        if self.headers.get("If-None-Match") == PAGE["etag"]:
            self.send_response(304)
            self.end_headers()
            return
        body = PAGE["body"].encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("ETag", PAGE["etag"])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _html(tip: str) -> str:
    return (
        f"<html><head><title>GPU FAQ</title></head><body><article><h1>GPU FAQ</h1>"
        f"<h2>Free options</h2><p>{tip} Many beginners train their first models this way "
        "before paying for cloud machines.</p></article></body></html>"
    )


@pytest.fixture
def site():
    with servers.http_server(_Handler) as url:
        yield url


def _mentor(tmp_path, embedder, urls, allowed=("127.0.0.1",)):
    manifest = tmp_path / "sources.toml"
    manifest.write_text("".join(f'[[source]]\nurl = "{url}"\n' for url in urls))
    return Mentor(Settings(data_dir=tmp_path / "data", manifest=manifest, allowed_hosts=allowed), embedder=embedder)


def test_page_is_ingested_then_skipped_by_etag_then_updated(site, tmp_path, embedder):
    PAGE.update(body=_html("Kaggle notebooks give a weekly GPU quota."), etag='"v1"', gone=False)
    mentor = _mentor(tmp_path, embedder, [f"{site}/faq"])
    first = mentor.ingest()
    assert [c.status for c in first.sources] == ["added"] and first.embedded >= 1
    stored = list(mentor.store.rows())
    assert stored[0].metadata["etag"] == '"v1"' and stored[0].metadata["fetched_at"]
    calls = mentor.embedder.calls
    again = mentor.ingest()
    assert [c.status for c in again.sources] == ["unchanged"] and mentor.embedder.calls == calls
    PAGE.update(body=_html("Colab notebooks give a free GPU."), etag='"v2"')
    changed = mentor.ingest()
    assert [c.status for c in changed.sources] == ["updated"]
    answer = mentor.ask("Where can I get a free GPU?")
    assert answer.citations and answer.citations[0].url == f"{site}/faq"
    assert answer.citations[0].fetched_at


def test_dead_page_is_reported_and_keeps_its_chunks(site, tmp_path, embedder):
    PAGE.update(body=_html("Kaggle notebooks give a weekly GPU quota."), etag='"v1"', gone=False)
    mentor = _mentor(tmp_path, embedder, [f"{site}/faq"])
    mentor.ingest()
    before = sorted((r.id, r.text) for r in mentor.store.rows())
    PAGE["gone"] = True
    try:
        report = mentor.ingest()
    finally:
        PAGE["gone"] = False
    (failed,) = report.failures
    assert "HTTP 404" in failed.reason and f"{site}/faq" in failed.reason
    assert before and sorted((r.id, r.text) for r in mentor.store.rows()) == before


@pytest.mark.parametrize(
    ("path", "allowed", "reason"),
    [
        ("/elsewhere", ("127.0.0.1",), "link-local"),
        ("/faq", (), "loopback"),
    ],
)
def test_refused_addresses_fail_with_a_reason(site, tmp_path, embedder, path, allowed, reason):
    mentor = _mentor(tmp_path, embedder, [f"{site}{path}"], allowed=allowed)
    report = mentor.ingest()
    (failed,) = report.failures
    assert reason in failed.reason and "allowed_hosts" in failed.reason
    assert mentor.store.count() == 0
