"""Safe markdown: links, images and HTML rewritten at the token level, checked by re-parsing."""

from __future__ import annotations

import sys
from pathlib import Path

import mdformat.plugins
import pytest
from hypothesis import given
from hypothesis import strategies as some
from markdown_it import MarkdownIt
from markdown_it.token import Token

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "ui"))  # ui/ is a folder of scripts
import safe_markdown  # noqa: E402
from safe_markdown import cite, sanitize_markdown  # noqa: E402

COLAB = "https://colab.research.google.com/"
VECTORS = Path(__file__).with_name("xss_vectors.txt")
ALLOWED, EVIL = "https://allowed.example/logo.png", "https://evil.example"
SAFE_SCHEMES = ("http://", "https://", "mailto:")


def load_vectors(allowed: str, evil: str) -> list[str]:
    """The vectors of ``xss_vectors.txt``, with ``{allowed}`` and ``{evil}`` filled in."""
    lines = VECTORS.read_text(encoding="utf-8").splitlines()
    return [
        line.replace("⏎", "\n").replace("{allowed}", allowed).replace("{evil}", evil)
        for line in lines
        if line and not line.startswith("#")
    ]


def _readers() -> dict[str, MarkdownIt]:
    """CommonMark, and CommonMark with GFM as Streamlit's remark-gfm reads it (tables,
    strikethrough, bare URLs by the GFM spec's rules); both show every link, not just the
    ones they deem valid."""
    gfm = MarkdownIt("commonmark", {"parser_extension": []})
    mdformat.plugins.PARSER_EXTENSIONS["gfm"].update_mdit(gfm)
    gfm.core.ruler.disable("github-tasklists")  # its checkboxes are HTML tokens of its own
    readers = {"commonmark": MarkdownIt("commonmark"), "gfm": gfm}
    for reader in readers.values():
        reader.validateLink = lambda url: True
    return readers


READERS = _readers()


def unsafe_parts(markdown: str, allowed: str) -> list[str]:
    """What ``markdown`` would show that it must not: links that are not web or mail, images
    other than ``allowed``, raw HTML, under either reader."""
    found: list[str] = []

    def walk(tokens: list[Token]) -> None:
        for token in tokens:
            href = str(token.attrGet("href") or "")
            if token.type.endswith("link_open") and not href.lower().startswith(SAFE_SCHEMES):
                found.append(f"link {href}")
            if token.type == "image" and token.attrGet("src") != allowed:
                found.append(f"image {token.attrGet('src')}")
            if token.type.startswith("html_"):
                found.append(f"html {token.content}")
            walk(token.children or [])

    for reader in READERS.values():
        walk(reader.parse(markdown))
    return found


@pytest.mark.parametrize(
    "text, expected",
    [
        ("see [Colab](https://colab.research.google.com/)", "see [Colab](https://colab.research.google.com/)"),
        ("[x](javascript:alert(1))", "x"),
        ("[x](JavaScript:alert(1) 'title')", "x"),
        ("[x](  data:text/html;base64,PHNjcmlwdD4= )", "x"),
        ("[x](vbscript:msgbox(1))", "x"),
        ("[x](javascript&#58;alert(1))", "x"),
        ("[x](<javascript:alert(1)>)", "x"),
        ("[other page](notes.md#setup)", "other page"),
        ("[[inner](javascript:a)](javascript:b)", "\\[inner\\](javascript:b)"),
        ("![logo](https://evil.example/track.png)", "logo"),
        (f"![Colab]({COLAB})", f"![Colab]({COLAB})"),
        ("![x](javascript:alert(1))", "x"),
        ("[x][r]\n\n[r]: javascript:alert(1)", "x"),
        ("[see][r]\n\n[r]: https://ok.example/", "[see](https://ok.example/)"),
        ("<javascript:alert(1)>", "javascript:alert(1)"),
        ("<https://example.org>", "<https://example.org>"),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)>"),
        ("Intro\n<script>alert(2)</script>\nmore", "Intro\n\n&lt;script>alert(2)&lt;/script>\n\nmore"),
        ("mail [me](mailto:a@b.example) or a@b.example", "mail [me](mailto:a@b.example) or <a@b.example>"),
        ("| a | b |\n|---|---|\n| [x](javascript:1) | ~~y~~ |", "| a   | b     |\n| --- | ----- |\n| x   | ~~y~~ |"),
        ("$\\alpha_1 * \\beta_2$ and $$x_1$$", "$\\alpha_1 * \\beta_2$ and $$x_1$$"),  # LaTeX as written
        ("$[x](javascript:a)$", "$\\[x\\](javascript:a)$"),  # math that could be a link is text
        ("Use `[x](javascript:a)` and **bold**", "Use `[x](javascript:a)` and **bold**"),
    ],
)
def test_sanitize_markdown_keeps_only_web_links_and_cited_images(text: str, expected: str) -> None:
    assert sanitize_markdown(text, [COLAB]) == expected


@pytest.mark.parametrize(
    "text, attack",
    [
        ("\\<data:text/html;base64,PHNjcmlwdD4=>", "an escaped autolink"),
        ("![a`](https://allowed.example/logo.png)`](https://evil.example/t.png)", "a code span"),
        ("![a<https://x/](https://allowed.example/logo.png)>](https://evil.example/t.png)", "an autolink"),
        ("![a<b>](</b>](https://evil.example/t.png)", "inline HTML"),
        ("![a](https://allowed.example/logo.png)](https://evil.example/t.png)", "a greedy ]("),
    ],
)
def test_the_bypasses_of_the_regex_sanitizer_are_closed(text: str, attack: str) -> None:
    assert unsafe_parts(sanitize_markdown(text, [ALLOWED]), ALLOWED) == [], attack


_PIECES = some.sampled_from(
    [
        "[",
        "]",
        "(",
        ")",
        "!",
        "<",
        ">",
        "\\",
        "\n",
        "\n\n",
        " ",
        ":",
        "x",
        "javascript:alert(1)",
        "JAVASCRIPT:",
        "&#58;",
        "data:x",
        ALLOWED,
        "https://ok.example/",
        "r",
        "[r]: ",
        "`",
        '"t"',
        "'",
        "$",
        "|",
        "-",
        "*",
        "~~",
        "www.",
        "a@b.example",
        "<b>",
        "  ",
    ]
)


@given(some.lists(_PIECES, max_size=30).map("".join))
def test_sanitized_markdown_never_parses_to_an_unsafe_link_image_or_html(text: str) -> None:
    assert unsafe_parts(sanitize_markdown(text, [ALLOWED]), ALLOWED) == []


def test_every_published_vector_is_defused() -> None:
    vectors = load_vectors(ALLOWED, EVIL)

    unsafe = {v: found for v in vectors if (found := unsafe_parts(sanitize_markdown(v, [ALLOWED]), ALLOWED))}

    print(f"\n{len(vectors)} XSS vectors tried, {len(unsafe)} unsafe")
    assert len(vectors) >= 100
    assert unsafe == {}


def test_allowed_image_and_web_links_survive() -> None:
    text = f"![logo]({ALLOWED}) and [docs](https://ok.example/a_b) and www.ok.example"
    assert sanitize_markdown(text, [ALLOWED]) == text.replace("www.ok.example", "<http://www.ok.example>")


def test_citation_markers_become_badges_and_links_stay_links() -> None:
    text = sanitize_markdown("Use Colab [1]. See [2], [the docs](https://x.example/[3]) and ![a][1].")
    assert cite(text) == (
        "Use Colab :blue-badge[1]. See :blue-badge[2], [the docs](https://x.example/%5B3%5D) and ![a][1]."
    )


def test_web_urls_are_recognised_through_entities_and_escapes() -> None:
    assert safe_markdown.is_web("https&#58;//colab.research.google.com/")
    assert not safe_markdown.is_web("javascript&#58;alert(1)")
    assert not safe_markdown.is_web("notes.md")
