"""Markdown from documents, answers and users made safe to show: web links and cited images only.

The text is parsed with markdown-it-py as Streamlit's renderer reads it (CommonMark, GFM tables,
strikethrough, task lists and bare web and e-mail addresses, ``$`` math), links and images are
kept or turned into their text at the token level, and mdformat renders the tokens back to
markdown, escaping whatever became text so that it parses the same again. Streamlit shows link
targets as written (it turns off react-markdown's own URL filter): this is the only filter.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from functools import cache
from types import SimpleNamespace

from markdown_it import MarkdownIt
from markdown_it.token import Token

_SAFE_LINK = re.compile(r"(?:https?://[^\s/\\]|mailto:[^\s@]+@)", re.IGNORECASE)
_CITE = re.compile(
    r"(?P<link>\]\((?:[^()\s]|\([^()\s]*\))*\))"  # a link's URL: left alone
    r"|(?<![\\!\]\w])\[(?P<n>\d{1,3})\](?![(\[:])"
)
_SPECIAL = re.compile(r"([\\`*_\[\]<>#!|~$:{}])")
_MARKUP = re.compile(r"[\[\]]|<[A-Za-z/!?]")  # in every link, image and piece of HTML
_MATH = ("math_inline", "math_inline_double", "math_block")  # dollarmath's tokens
# Every "<" of text is written "&lt;": mdformat's "\<" misses the second of "<<", and a reader
# that ends a bare URL later than GFM does ("https://x\<b>") would swallow the backslash.
_LESS_THAN = re.compile(r"(?<!\\)((?:\\\\)*)\\?<")  # with the backslash escaping it, if any
# Parsing grows faster than the text for some markup (thousands of "*a", "[", "$a" or line
# breaks in a row). So text past MAX_CHARS is cut, and a block between blank lines with more than
# MAX_MARKUP markup characters and line breaks, or any block once the text's blocks have used
# MAX_TOTAL_MARKUP, is shown as one line of text, every punctuation mark escaped: that parses in
# linear time.
MAX_CHARS = 20_000
MAX_MARKUP = 300
MAX_TOTAL_MARKUP = 1_200
_BLOCKS = re.compile(r"(\n[ \t]*\n)")
_MARKUP_CHAR = re.compile(r"[*_\[\]!`$|<>&~\\=#\n-]")
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def sanitize_markdown(text: str, allowed_urls: Iterable[str] = ()) -> str:
    """``text`` with every link whose URL is not http(s) (or mailto) turned into its label, every
    image whose URL is not one of ``allowed_urls`` turned into its alt text, and HTML into text.

    Example:
        >>> sanitize_markdown("[x](javascript:alert(1)) ![logo](https://a.example/l.png) <b>")
        'x logo &lt;b>'
    """
    parser = _parser()
    allowed = {parser.normalizeLink(url) for url in allowed_urls if is_web(url)}
    tokens = [safe for token in parser.parse(_bounded(text)) for safe in _safe_block(token, allowed)]
    return parser.renderer.render(tokens, parser.options, {}).rstrip("\n")


def _bounded(text: str) -> str:
    """``text`` cut to ``MAX_CHARS``, its markup-dense blocks escaped (see ``MAX_MARKUP``)."""
    text = text if len(text) <= MAX_CHARS else text[:MAX_CHARS] + " …"
    blocks, used = _BLOCKS.split(text), 0
    for n, block in enumerate(blocks[::2]):  # the odd items are the blank lines between blocks
        n *= 2
        markup = len(_MARKUP_CHAR.findall(block))
        if markup > MAX_MARKUP or used + markup > MAX_TOTAL_MARKUP:
            blocks[n] = _PUNCTUATION.sub(r"\\\1", " ".join(block.split()))
        else:
            used += markup
    return "".join(blocks)


def is_web(url: str) -> bool:
    """Whether ``url`` (as written in markdown, entities and escapes allowed) is an http(s) URL."""
    url = html.unescape(url.strip().strip("<>")).replace("\\", "").strip()
    return bool(re.match(r"https?://[^\s/]", url, re.IGNORECASE))


def cite(text: str) -> str:
    """Show citation markers such as ``[1]`` as small blue badges."""
    return _CITE.sub(lambda m: m["link"] or f":blue-badge[{m['n']}]", text)


def escape(text: str) -> str:
    """``text`` shown literally inside markdown (titles, file names)."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


@cache
def _parser() -> MarkdownIt:
    """CommonMark with GFM and math, rendering back to markdown (mdformat and its GFM plugin)."""
    import mdformat.plugins
    from mdformat.renderer import MDRenderer
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    gfm = mdformat.plugins.PARSER_EXTENSIONS["gfm"]
    ours = SimpleNamespace(
        RENDERERS=dict.fromkeys(_MATH, lambda node, _: _as_written(node)),
        POSTPROCESSORS={"text": lambda text, *_: _LESS_THAN.sub(r"\1&lt;", text)},
    )
    parser = MarkdownIt(
        "commonmark", {"parser_extension": [gfm, ours], "mdformat": {}, "codeformatters": {}}, renderer_cls=MDRenderer
    )
    gfm.update_mdit(parser)
    parser.use(dollarmath_plugin, allow_labels=False, double_inline=True)
    # Every link and image becomes a token, even those CommonMark refuses to link (javascript:):
    # the walk below decides, and what it refuses is written back as text.
    parser.validateLink = lambda url: True
    return parser


def _safe_block(token: Token, allowed: set[str]) -> list[Token]:
    if token.type == "html_block" or (token.type in _MATH and not _inert(token)):
        return [
            Token("paragraph_open", "p", 1),
            _text_lines(_as_written(token).strip("\n")),
            Token("paragraph_close", "p", -1),
        ]
    if token.children is not None:
        token.children = _safe_inline(token.children, allowed)
    return [token]


def _safe_inline(tokens: list[Token], allowed: set[str]) -> list[Token]:
    safe: list[Token] = []
    kept: list[bool] = []  # for each open link: whether it stays a link
    for token in tokens:
        if token.type.startswith("gfm_autolink"):
            # A bare URL is written back as <URL>, which ends where markdown-it ended it: a GFM
            # URL runs on to the next space or "<", over any escape written after it.
            token.type, token.info = token.type.removeprefix("gfm_auto"), "auto"
        if token.type == "link_open":
            kept.append(bool(_SAFE_LINK.match(str(token.attrGet("href") or ""))))
            if kept[-1]:
                safe.append(token)
        elif token.type == "link_close":
            if kept.pop():
                safe.append(token)
        elif token.type == "image":
            token.children = _safe_inline(token.children or [], allowed)
            if token.attrGet("src") in allowed:
                safe.append(token)
            else:
                safe += token.children
        elif token.type == "html_inline" or (token.type in _MATH and not _inert(token)):
            safe.append(Token("text", "", 0, content=_as_written(token)))
        else:
            safe.append(token)
    return safe


def _inert(math: Token) -> bool:
    """Whether math can be written back verbatim, as LaTeX needs it: when it holds nothing a
    link, image or HTML needs, it stays harmless even where Streamlit's parser (remark-math)
    ends the math elsewhere than markdown-it does."""
    return not _MARKUP.search(math.content)


def _as_written(token: Token) -> str:
    """HTML or math as it was written: its markup around its content."""
    return token.markup + token.content + token.markup


def _text_lines(text: str) -> Token:
    """An inline token showing ``text`` as it is, line by line."""
    children: list[Token] = []
    for n, line in enumerate(text.split("\n")):
        children += [Token("softbreak", "br", 0)] if n else []
        children.append(Token("text", "", 0, content=line))
    return Token("inline", "", 0, content=text, children=children)
