"""safe_markdown: raw HTML inert, script link targets gone, code and normal Markdown kept."""

from __future__ import annotations

import importlib.util
import re

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
        ("![i](data:text/html;base64,PHNjcmlwdD4=)", "![i](#)"),
        ('![i](data:image/svg+xml,x "title")', '![i](# "title")'),  # the title stays
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
![chart](https://example.com/chart.png)

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
