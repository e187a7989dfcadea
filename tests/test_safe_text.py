"""safe_markdown: raw HTML inert, script link targets gone, code and normal Markdown kept."""

from __future__ import annotations

import importlib.util
import re
import time
from urllib.parse import urlsplit

import pytest

from smarketing.safe_text import neutralise_link_targets, safe_markdown

ATTACKS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=https://evil.example></iframe>",
    "<div onmouseover=alert(1)>\n\nhover\n\n</div>",
    "[x](javascript:alert(1))",
    "[x]( JaVaScRiPt:alert(1))",
    "![i](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x]: javascript:alert(1)\n\n[see][x]",
    "[x](vbscript:msgbox(1))",
    "[x](<javascript:alert(1)>)",
    "[x](javascript\\:alert(1))",
    "[x](javascript&#58;alert(1))",
    "<javascript:alert(1)>",
    # Tricks that make a naive "leave code alone" leave HTML outside code:
    "`a\nb` <img src=x onerror=alert(1)> `c`",  # a code span across lines
    '[a](b "`") <img src=x onerror=alert(1)> `"',  # a backtick inside a link title
    "| `a | <img src=x onerror=alert(1)> | b` |\n|---|---|---|",  # table cells split spans
    "$`$ <img src=x onerror=alert(1)> `",  # math swallows a backtick
    "\\`<img src=x onerror=alert(1)>`",  # an escaped backtick opens no span
    "  ```\n  code\nx\n```\n<img src=x onerror=alert(1)>\n```",  # an indented fence
    "- a\n\n  ```\n<img src=x onerror=alert(1)>\n  ```",  # a fence inside a list item
    "$$\n```\n$$\n<img src=x onerror=alert(1)>\n```",  # a fence inside display math
    "```foo`bar\n<img src=x onerror=alert(1)>\n```",  # not a fence: backtick in the info
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
        ("[x](javascript:alert(1))", "[x](#)"),
        ("[x]( JaVaScRiPt:alert(1))", "[x]( #)"),  # case and leading spaces
        ("[x](\tjava\\script:alert(1))", "[x](\t#)"),  # a tab; a backslash inside the scheme
        ("![i](data:text/html;base64,PHNjcmlwdD4=)", "[🖼 image: i (address removed)](#)"),
        ('![i](data:image/svg+xml,x "title")', '[🖼 image: i (address removed)](# "title")'),
        ("[x](vbscript:msgbox(1))", "[x](#)"),
        ("[x](<javascript:alert(1)>)", "[x](#)"),
        ("[x]:\n  javascript:alert(1)", "[x]:\n  #"),  # a reference definition
        ("[x](javascript&#58;alert(1))", "[x](javascript&amp;#58;alert(1))"),  # no entity
        ("score >= 60 & more", "score &gt;= 60 &amp; more"),
        ("<javascript:alert(1)>", "&lt;javascript:alert(1)&gt;"),
    ],
)
def test_html_is_escaped_and_script_targets_become_a_hash(text, expected):
    assert safe_markdown(text) == expected


@pytest.mark.parametrize("text", ATTACKS)
def test_no_tag_and_no_script_target_survives(text):
    out = safe_markdown(text)
    assert not re.search(r"<(?:script|img|iframe|a|div)\b", out, re.IGNORECASE), out
    assert not re.search(r"\]\(\s*<?\s*(?:javascript|vbscript|data):", out, re.IGNORECASE), out


@pytest.mark.parametrize(
    "text",
    [
        "Use `<b>` for bold and `a && b` for both.",  # html in code spans is shown as written
        "``<b>`x`</b>``",  # a double-backtick span holding single backticks
        "```html\n<script>alert(1)</script>\n<b>bold</b>\n```",  # a fenced code block
        "~~~\n<b>x</b> & y\n~~~",
        "```\n<b>never closed",  # an unclosed fence runs to the end of the text
        "`<b>` before a link: [docs](https://example.com)",
        "see <https://example.com/a_b> and `<b>`",  # an autolink holds no backticks
    ],
)
def test_code_is_left_as_written(text):
    assert safe_markdown(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Code after something that may swallow backticks is escaped, to be sure.
        ("[docs](https://example.com) then `<b>`", "[docs](https://example.com) then `&lt;b&gt;`"),
        ("costs $5 `<b>`", "costs $5 `&lt;b&gt;`"),
        # After a fence we cannot be sure of, nothing more is left as code.
        (
            "- ```\n  <b>\n  ```\n\n```\n<i>\n```",
            "- ```\n  &lt;b&gt;\n  ```\n\n```\n&lt;i&gt;\n```",
        ),
        # The fence closes exactly where CommonMark closes it; text after it is escaped.
        ("```\n<b>\n   ```  \n<i>", "```\n<b>\n   ```  \n&lt;i&gt;"),
        ("````\n```\n<b>\n````\n<i>", "````\n```\n<b>\n````\n&lt;i&gt;"),
    ],
)
def test_where_code_is_uncertain_it_is_escaped(text, expected):
    assert safe_markdown(text) == expected


NORMAL = """# Marketing-qualified lead (MQL)

A lead that marketing vouches for: **the right person** at the *right company*.

- Lead score at least 60
- A company e-mail address
  1. nested item
  2. another

> Agreed in the smarketing meeting.
> > Quoted twice.

See [the SLA](https://example.com/sla "Service level agreement") or <https://example.com>.

| Stage | Owner |
|:------|------:|
| MQL   | marketing |
| SQL   | sales |

---

Line with a hard break\\
and `inline code`, ~~struck~~ and a [reference][sla].

[sla]: https://example.com/sla
"""


def test_normal_markdown_is_unchanged():
    assert safe_markdown(NORMAL) == NORMAL


def test_line_endings_become_newlines_and_empty_text_stays_empty():
    assert safe_markdown("a\r\nb\rc") == "a\nb\nc"
    assert safe_markdown("") == ""


def test_neutralise_link_targets_only_touches_blocked_schemes():
    text = "[a](https://x.example) [b](mailto:x@example.com) [c](/relative) [d](#top)"
    assert neutralise_link_targets(text) == text
    assert neutralise_link_targets("[a](DATA:x) [b](\x00javascript:x)") == "[a](#) [b](#)"


def _renderer():
    """A Markdown-to-HTML function that passes raw HTML through, if one is installed."""
    if importlib.util.find_spec("markdown_it"):
        from markdown_it import MarkdownIt

        md = MarkdownIt("commonmark", {"html": True}).enable("table")
        return md.render
    if importlib.util.find_spec("markdown"):
        import markdown

        return lambda text: markdown.markdown(text, extensions=["tables", "fenced_code"])
    return None


@pytest.mark.parametrize("text", [*ATTACKS, NORMAL])
def test_rendered_html_has_no_live_tag_or_handler(text):
    render = _renderer()
    if render is None:
        pytest.skip("neither markdown-it-py nor Markdown is installed")
    html = render(safe_markdown(text))
    assert not re.search(r"<(?:script|img\s+src=.?x|iframe|div)\b", html, re.IGNORECASE), html
    assert not re.search(r"<[^>]*\son\w+\s*=", html, re.IGNORECASE), html
    assert not re.search(r"(?:href|src)=\"\s*(?:javascript|vbscript|data):", html, re.I), html


# --- Images: a remote image becomes a link naming its host, unless the host is allowed ---

NO_HOSTS: frozenset[str] = frozenset()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # inline, with a title, protocol-relative, an empty alt
        ("![x](http://h.example/p.png)", "[🖼 image: x (h.example)](http://h.example/p.png)"),
        (
            '![x](https://h.example/p.png "T")',
            '[🖼 image: x (h.example)](https://h.example/p.png "T")',
        ),
        ("![x](//h.example/p.png)", "[🖼 image: x (h.example)](//h.example/p.png)"),
        ("![](http://h.example/p)", "[🖼 image (h.example)](http://h.example/p)"),
        # an angle-bracket address, with spaces, becomes a plain (percent-encoded) one
        (
            '![x](<http://h.example/a b(1).png> "T")',
            '[🖼 image: x (h.example)](http://h.example/a%20b%281%29.png "T")',
        ),
        # nested brackets in the alt are escaped: no link or image inside the label
        (
            "![a [b] c](http://h.example/p)",
            "[🖼 image: a \\[b\\] c (h.example)](http://h.example/p)",
        ),
        (
            "![a ![b](http://b.example/i)](http://a.example/i)",
            "[🖼 image: a !\\[b\\](http://b.example/i) (a.example)](http://a.example/i)",
        ),
        # reference images: full, collapsed, shortcut (labels match without case)
        (
            "![x][r]\n\n[r]: http://h.example/p",
            "[🖼 image: x (h.example)][r]\n\n[r]: http://h.example/p",
        ),
        (
            "![x][]\n\n[X]: http://h.example/p",
            "[🖼 image: x (h.example)][x]\n\n[X]: http://h.example/p",
        ),
        (
            "![x]\n\n[x]: <http://h.example/p> 'T'",
            "[🖼 image: x (h.example)][x]\n\n[x]: <http://h.example/p> 'T'",
        ),
        ("![x][nowhere]", "\\![x][nowhere]"),  # no definition: no image, the "!" escaped
        # the host a browser would ask, whatever the address looks like
        ("![x](http://me@evil.example/p)", "[🖼 image: x (evil.example)](http://me@evil.example/p)"),
        ("![x](http:evil.example/p)", "[🖼 image: x (evil.example)](http:evil.example/p)"),
        ("![x](HTTP://H.Example:8080/p)", "[🖼 image: x (h.example:8080)](HTTP://H.Example:8080/p)"),
        ("![x](pic.png)", "[🖼 image: x (relative address)](pic.png)"),
        ("![x](data:image/png;base64,AAAA)", "[🖼 image: x (address removed)](#)"),
        # escapes: an escaped "!" is no image; an escaped backslash does not escape the "!"
        ("\\![x](http://h.example/p)", "\\![x](http://h.example/p)"),
        ("\\\\![x](http://h.example/p)", "\\\\[🖼 image: x (h.example)](http://h.example/p)"),
        # "!!": the "!" before the link made of the image must not make a new image
        ("!![x](http://h.example/p)", "\\![🖼 image: x (h.example)](http://h.example/p)"),
        # an image inside a link: the link stays, the image is a link inside it
        (
            "[![x](http://h.example/p)](https://site.example)",
            "[[🖼 image: x (h.example)](http://h.example/p)](https://site.example)",
        ),
        # raw HTML images stay escaped text
        ("<img src=http://h.example/p.png>", "&lt;img src=http://h.example/p.png&gt;"),
    ],
)
def test_remote_images_become_links_naming_their_host(text, expected):
    assert safe_markdown(text, image_hosts=NO_HOSTS) == expected


@pytest.mark.parametrize(
    "text",
    [
        "`![x](http://h.example/p.png)`",  # a code span
        "Write `![alt](https://h.example/p.png)` for an image.",
        "``![a `b`](http://h.example/p)``",
        "```\n![x](http://h.example/p.png)\n![y][r]\n```",  # a fenced code block
        "~~~md\n![x](http://h.example/p.png)\n~~~",
    ],
)
def test_image_syntax_in_code_stays_literal(text):
    assert safe_markdown(text, image_hosts=NO_HOSTS) == text


ALLOWED = frozenset({"img.example", "pics.example:8443"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("![x](https://img.example/p.png)", "![x](https://img.example/p.png)"),
        ("![x](//IMG.example/p.png)", "![x](//IMG.example/p.png)"),
        ("![x](https://img.example:9/p.png)", "![x](https://img.example:9/p.png)"),  # any port
        ('![x](https://img.example/p.png "T")', '![x](https://img.example/p.png "T")'),
        ("![x](https://img.example/a?b=1&c=2)", "![x](https://img.example/a?b=1&amp;c=2)"),
        ("![x](https://pics.example:8443/p)", "![x](https://pics.example:8443/p)"),
        # a reference image on an allowed host is written inline (no other definition counts)
        (
            "![x][r]\n\n[r]: https://img.example/p",
            "![x](https://img.example/p)\n\n[r]: https://img.example/p",
        ),
        # a host:port entry allows that port only
        ("![x](https://pics.example/p)", "[🖼 image: x (pics.example)](https://pics.example/p)"),
        # the allowed host as user name, as a sub-domain, or in the path is not the host
        (
            "![x](https://img.example@evil.example/p)",
            "[🖼 image: x (evil.example)](https://img.example@evil.example/p)",
        ),
        (
            "![x](https://img.example.evil.example/p)",
            "[🖼 image: x (img.example.evil.example)](https://img.example.evil.example/p)",
        ),
        (
            "![x](https://evil.example/img.example)",
            "[🖼 image: x (evil.example)](https://evil.example/img.example)",
        ),
        # an alt or title that renderers could read differently: not kept, to be sure
        (
            "![a `b`](https://img.example/p)",
            "[🖼 image: a `b` (img.example)](https://img.example/p)",
        ),
        (
            "![x](https://img.example/p 'T')",
            "[🖼 image: x (img.example)](https://img.example/p 'T')",
        ),
        # a label defined twice, once elsewhere: not kept
        (
            "![x][r]\n\n[r]: https://img.example/p\n\n[r]: https://evil.example/p",
            "[🖼 image: x (img.example)][r]\n\n[r]: https://img.example/p\n\n"
            "[r]: https://evil.example/p",
        ),
    ],
)
def test_images_from_allowed_hosts_are_kept(text, expected):
    assert safe_markdown(text, image_hosts=ALLOWED) == expected


def test_allowed_hosts_come_from_the_environment(monkeypatch):
    text = "![x](https://img.example/p.png)"
    monkeypatch.delenv("SMARKETING_IMAGE_HOSTS", raising=False)
    assert safe_markdown(text).startswith("[🖼 image: x (img.example)]")  # empty by default
    monkeypatch.setenv("SMARKETING_IMAGE_HOSTS", " Img.Example. , other.example ")
    assert safe_markdown(text) == text


@pytest.mark.parametrize(
    ("text", "host"),
    [
        ("![x](https://img.example\\@evil.example/p.png)", "evil.example"),  # \@ is an @
        ("![x](<https://img.example\\@evil.example/p.png>)", "evil.example"),
        ("![x](https://img.example\\:1@evil.example/p.png)", "evil.example"),
        ("![x](https://evil.example/a\\@img.example)", "evil.example"),
    ],
)
def test_the_host_shown_is_the_one_the_link_opens(text, host):
    """The renderer takes a backslash escape out of the address (``\\@`` is ``@``), so the
    host shown is read from the address as the renderer makes it."""
    shown = safe_markdown(text, image_hosts=ALLOWED)
    assert shown.startswith(f"[🖼 image: x ({host})]("), shown
    render = _renderer()
    if render is not None:
        [href] = re.findall(r'href="([^"]*)"', render(shown))
        assert urlsplit(href.replace("&amp;", "&")).hostname == host


IMAGE_ATTACKS = [
    "![x](http://evil.example/p.png)",
    "![x](<http://evil.example/a b.png>)",
    "![x][r]\n\n[r]: http://evil.example/p.png",
    "![x]\n\n[x]: http://evil.example/p.png",
    "![x][]\n\n[x]: http://evil.example/p.png",
    "![x](not a target)\n\n[x]: http://evil.example/p.png",  # the inline part fails: shortcut
    "!![x](http://evil.example/p.png)",
    "\\\\![x](http://evil.example/p.png)",
    "![a ![b](http://evil.example/b)](http://evil.example/a)",
    "[![x](http://evil.example/p)](http://site.example)",
    "![a `](http://img.example/p)` b](http://evil.example/p)",  # a code span in the alt
    "![a $](http://img.example/p) b$](http://evil.example/p)",  # math in the alt
    "![a <http://x](http://img.example/p)>](http://evil.example/p)",  # an autolink in the alt
    "![x](//evil.example/p)",
    "![x](http:evil.example/p)",
    "<img src=http://evil.example/p.png>",
    "| a | ![x](http://evil.example/p) |\n|---|---|",
    "> ![x](http://evil.example/p)",
    "- ![x](http://evil.example/p)",
    "    ![x](http://evil.example/p)",  # an indented code block: made a link, shown as text
]


@pytest.mark.parametrize("text", IMAGE_ATTACKS)
def test_rendered_html_loads_no_image_from_a_host_not_allowed(text):
    render = _renderer()
    if render is None:
        pytest.skip("neither markdown-it-py nor Markdown is installed")
    html = render(safe_markdown(text, image_hosts=frozenset({"img.example"})))
    sources = re.findall(r"<img[^>]*\ssrc=\"([^\"]*)\"", html)
    assert all(re.match(r"(?:https?:)?//img\.example/", s) for s in sources), html
    assert "evil.example" not in "".join(sources)


def test_rendered_html_loads_an_image_from_an_allowed_host():
    render = _renderer()
    if render is None:
        pytest.skip("neither markdown-it-py nor Markdown is installed")
    html = render(safe_markdown("![x](https://img.example/p.png)", image_hosts=ALLOWED))
    assert '<img src="https://img.example/p.png" alt="x"' in html


@pytest.mark.parametrize(
    "text",
    [
        "![" * 5000,  # 9.6 s before reading brackets in one pass
        "![a](" * 5000,  # 96 s before (every target read to the end of the text)
        "[a](" * 5000,  # 28 s before, for links alone (the script-scheme check)
        "![x](<" * 4000,
        "](\x00" * 5000,
        "!" * 10000 + "[",
        "![x][" * 4000,
    ],
)
def test_long_hostile_text_is_made_safe_quickly(text):
    started = time.perf_counter()
    safe_markdown(text, image_hosts=NO_HOSTS)
    assert time.perf_counter() - started < 2.0  # each takes well under 0.3 s
