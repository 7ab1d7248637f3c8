"""Fetch web sources safely: http(s) only, no internal addresses, bounded in size and time."""

import ipaddress
import socket
import time
import zlib
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from ingest.deadline import deadline_client, until
from ingest.errors import FetchError

USER_AGENT = "Mentor/0.1 (+local knowledge base)"
# Bodies are decompressed here, a piece at a time against max_bytes (httpx would inflate a whole
# network read at once: a few KB of gzip can become hundreds of MB).
_DECODERS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
_PIECE = 65_536  # most bytes one decompression step may produce
# Every IPv6 form that carries an IPv4 address reaches that address; judge it by it.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # the well-known prefix: the IPv4 address is its last 32 bits
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")  # a network's own translator (Python calls it global)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_FIX_SOURCE = "fix or remove the URL in knowledge/sources.toml"
# Order matters: Python also calls loopback, link-local and unspecified addresses "private",
# and the more specific word tells the user more.
_FORBIDDEN = (
    ("is_unspecified", "an unspecified"),
    ("is_loopback", "a loopback"),
    ("is_link_local", "a link-local"),
    ("is_multicast", "a multicast"),
    ("is_reserved", "a reserved"),
    ("is_private", "a private"),
)
# Anything else that is not globally reachable, e.g. the shared address space 100.64.0.0/10
# (carrier-grade NAT), which holds some clouds' metadata address (100.100.100.200).
_NOT_GLOBAL = "a non-public (shared or special-purpose)"


@dataclass(frozen=True)
class WebPage:
    """One fetched page, or the answer that the cached copy is still current."""

    url: str
    status: int
    content: bytes
    content_type: str
    etag: str | None
    last_modified: str | None
    fetched_at: str

    @property
    def not_modified(self) -> bool:
        """True when the server answered 304 to a conditional request."""
        return self.status == 304


@dataclass(frozen=True)
class LinkStatus:
    """Whether one URL answers; ``detail`` is the status line or why it failed."""

    url: str
    ok: bool
    detail: str


def fetch(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout: float = 10.0,
    max_bytes: int = 5_000_000,
    allowed_hosts: Collection[str] = (),
    max_redirects: int = 5,
    client: httpx.Client | None = None,
) -> WebPage:
    """Fetch ``url`` with GET, following at most ``max_redirects`` checked redirects.

    Args:
        url: An http or https URL.
        etag: Validator from an earlier fetch, sent as If-None-Match.
        last_modified: Validator from an earlier fetch, sent as If-Modified-Since.
        timeout: Seconds allowed for the whole fetch, redirects and body included.
        max_bytes: Largest body accepted.
        allowed_hosts: Host names exempt from the internal-address check.
        max_redirects: Most redirects followed.
        client: Client to reuse (from :func:`ingest.deadline.deadline_client`, so that the
            deadline covers connecting and headers too); one is made and closed when omitted.

    Returns:
        The page; ``status`` 304 and empty ``content`` when not modified.

    Raises:
        FetchError: The URL was refused, unreachable, too slow, too large or answered >= 400.
    """
    validators = (("If-None-Match", etag), ("If-Modified-Since", last_modified))
    headers = {name: value for name, value in validators if value}
    deadline = time.monotonic() + timeout
    owned = deadline_client(timeout) if client is None else nullcontext(client)
    with (
        until(deadline),
        owned as http,
        _open(http, "GET", url, headers, allowed_hosts, max_redirects, deadline, timeout) as (response, final_url),
    ):
        status = response.status_code
        if status == 304:
            content = b""
        elif 200 <= status < 300:
            content = _read_body(url, response, max_bytes, deadline, timeout)
        else:
            raise FetchError(f"{url}: HTTP {status} {response.reason_phrase}; {_FIX_SOURCE}")
        return WebPage(
            url=final_url,
            status=status,
            content=content,
            content_type=response.headers.get("content-type", "").split(";")[0].strip().lower(),
            # A 304 need not repeat the validators, and the caller's ones still hold.
            etag=response.headers.get("etag", etag),
            last_modified=response.headers.get("last-modified", last_modified),
            fetched_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )


def check_links(urls: Iterable[str], *, timeout: float = 10.0, allowed_hosts: Collection[str] = ()) -> list[LinkStatus]:
    """Check each URL with HEAD (GET where HEAD is refused) under the same rules as fetch.

    Returns one LinkStatus per URL, in order; ``timeout`` applies to each URL, and a bad URL
    gives ``ok=False`` instead of raising.
    """
    results = []
    with deadline_client(timeout) as http:
        for url in urls:
            try:
                status, reason = _probe(http, url, timeout, allowed_hosts)
            except FetchError as error:
                results.append(LinkStatus(url, False, str(error)))
                continue
            ok = status < 400
            detail = f"{status} {reason}" if ok else f"HTTP {status} {reason}"
            results.append(LinkStatus(url, ok, detail))
    return results


def _probe(http: httpx.Client, url: str, timeout: float, allowed_hosts: Collection[str]) -> tuple[int, str]:
    """Return the final status code and reason for ``url``, without reading a body."""
    for method in ("HEAD", "GET"):
        deadline = time.monotonic() + timeout
        with until(deadline), _open(http, method, url, {}, allowed_hosts, 5, deadline, timeout) as (response, _):
            status, reason = response.status_code, response.reason_phrase
        # Some servers refuse HEAD (405) or do not implement it (501) yet serve GET.
        if status not in (405, 501):
            break
    return status, reason


@contextmanager
def _open(
    http: httpx.Client,
    method: str,
    url: str,
    headers: dict[str, str],
    allowed_hosts: Collection[str],
    max_redirects: int,
    deadline: float,
    timeout: float,
) -> Iterator[tuple[httpx.Response, str]]:
    """Yield the streamed final response and its URL, checking every hop before connecting to it,
    and connecting to the address checked."""
    current = url
    try:
        for _ in range(max_redirects + 1):
            address = _check_url(current, allowed_hosts)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _timed_out(url, timeout)
            target, pinned = _pinned(current, address)
            with http.stream(
                method,
                target,
                headers={
                    "User-Agent": USER_AGENT,
                    "Accept-Encoding": ", ".join(_DECODERS),
                    **headers,
                    **pinned.get("headers", {}),
                },
                extensions=pinned.get("extensions", {}),
                timeout=httpx.Timeout(remaining),
                # Never let a caller's client follow a Location we have not checked.
                follow_redirects=False,
            ) as response:
                location = response.headers.get("location")
                if response.status_code in _REDIRECTS and location:
                    current = urljoin(current, location)
                    continue
                yield response, current
                return
    except httpx.TimeoutException:
        raise _timed_out(url, timeout) from None
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        detail = " ".join(str(error).split()) or type(error).__name__
        message = f"{url}: could not fetch ({detail}); check the URL and the network"
        raise FetchError(message) from None
    raise FetchError(f"{url}: more than {max_redirects} redirects; {_FIX_SOURCE}")


def _pinned(url: str, address: str | None) -> tuple[str, dict[str, dict[str, str]]]:
    """``url`` with its host replaced by the checked ``address``, and the Host header and TLS
    server name that keep the request addressed to the host by name."""
    if address is None:
        return url, {}
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    netloc = f"{host}:{parts.port}" if parts.port else host
    pinned = {"headers": {"Host": parts.netloc.rpartition("@")[2]}}
    if parts.scheme == "https":
        pinned["extensions"] = {"sni_hostname": parts.hostname or ""}
    return urlunsplit(parts._replace(netloc=netloc)), pinned


def _read_body(url: str, response: httpx.Response, max_bytes: int, deadline: float, timeout: float) -> bytes:
    """Read and decompress the body, stopping at ``max_bytes`` or at the deadline, whichever comes first."""
    too_big = f"{url}: body is larger than max_bytes={max_bytes}; raise it or {_FIX_SOURCE}"
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(too_big)
    body = bytearray()
    # No chunk size: httpx would otherwise wait to fill one, and a trickling server never does.
    if response.is_stream_consumed:  # read already by the client's transport (and decoded by httpx)
        pieces: Iterable[bytes] = [response.content]
    else:
        pieces = _decoded(url, response.headers.get("content-encoding", ""), response.iter_raw())
    for piece in pieces:
        body += piece
        if len(body) > max_bytes:
            raise FetchError(too_big)
        # Read timeouts only bound the gap between bytes; this bounds the whole download.
        if time.monotonic() > deadline:
            raise _timed_out(url, timeout)
    return bytes(body)


def _decoded(url: str, encoding: str, raw: Iterable[bytes]) -> Iterator[bytes]:
    """The body's bytes as sent before ``encoding`` (gzip, deflate or none), at most ``_PIECE`` at a time."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        yield from raw
        return
    if encoding not in _DECODERS:
        raise FetchError(f"{url}: unsupported Content-Encoding {encoding!r}; {_FIX_SOURCE}")
    inflate = zlib.decompressobj(_DECODERS[encoding])
    try:
        for chunk in raw:
            while chunk:
                if inflate.eof:  # a gzip body may hold several members
                    chunk, inflate = inflate.unused_data + chunk, zlib.decompressobj(_DECODERS[encoding])
                yield inflate.decompress(chunk, _PIECE)
                chunk = inflate.unconsumed_tail
        while not inflate.eof and (piece := inflate.decompress(b"", _PIECE)):
            yield piece
    except zlib.error as error:
        raise FetchError(f"{url}: the {encoding} body is corrupt ({error}); {_FIX_SOURCE}") from None


def _timed_out(url: str, timeout: float) -> FetchError:
    """Return the error for a fetch that ran past its deadline."""
    return FetchError(f"{url}: timed out after {timeout:g} s; raise the timeout or {_FIX_SOURCE}")


def _embedded_ipv4(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries: mapped (::ffff:a.b.c.d), compatible (::a.b.c.d),
    6to4 (2002:AABB:CCDD::), NAT64 (64:ff9b::a.b.c.d) or Teredo's client; None for any other."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped or address.sixtofour:
        return address.ipv4_mapped or address.sixtofour
    if address.teredo:
        return address.teredo[1]
    low = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _NAT64:
        return low
    compatible = int(address) >> 32 == 0 and int(address) > 1  # ::a.b.c.d, not :: or ::1
    return low if compatible else None


def _check_url(url: str, allowed_hosts: Collection[str]) -> str | None:
    """Raise FetchError unless ``url`` is http(s) and its host resolves only to public addresses.

    Returns the address checked, to connect to it and no other (a name that resolves to a
    public address here could resolve to a private one when the client looks it up again);
    None for an allowed host, which is connected to by name.
    """
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError as error:
        raise FetchError(f"refused {url}: malformed URL ({error})") from None
    if parts.scheme not in ("http", "https"):
        raise FetchError(f"refused {url}: only http and https URLs are fetched")
    if not host:
        raise FetchError(f"refused {url}: the URL has no host name")
    if host in allowed_hosts:
        return None
    try:
        infos = socket.getaddrinfo(host, port or 0, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise FetchError(f"{url}: cannot resolve host {host} ({error}); {_FIX_SOURCE}") from None
    for info in infos:
        # Strip an IPv6 zone ("fe80::1%eth0"), which older ipaddress versions reject.
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        address = _embedded_ipv4(address) or address
        kind = next((kind for test, kind in _FORBIDDEN if getattr(address, test)), None)
        kind = kind or (None if address.is_global and address not in _LOCAL_NAT64 else _NOT_GLOBAL)
        if kind:
            raise FetchError(f"refused {url}: {address} is {kind} address; allow it with the setting allowed_hosts")
    return str(infos[0][4][0]).split("%")[0]
