"""One self-contained HTML page: a title, sections of text, tables and PNG images inlined as data URIs."""

from __future__ import annotations

import base64
import html
from pathlib import Path

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1100px;
       padding: 0 1rem; color: #1d1d1f; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
.meta { color: #555; font-size: 0.9rem; }
table { border-collapse: collapse; font-size: 0.9rem; margin: 0.5rem 0; }
th, td { padding: 0.3rem 0.8rem; border-bottom: 1px solid #e5e5e5; text-align: right; }
th:first-child, td:first-child { text-align: left; } th { background: #f5f5f7; }
td.better { color: #0a7a2f; font-weight: 600; } td.worse { color: #b3261e; }
img { max-width: 100%; border: 1px solid #eee; }
"""


def escape(text: object) -> str:
    return html.escape(str(text))


def table(header: list[str], rows: list[list[str]], classes: list[list[str]] | None = None) -> str:
    """An HTML table of already formatted cells; ``classes`` (same shape as ``rows``) styles cells."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cells = []
        for j, cell in enumerate(row):
            css = classes[i][j] if classes else ""
            cells.append(f'<td class="{css}">{escape(cell)}</td>' if css else f"<td>{escape(cell)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def image(path: Path, alt: str) -> str:
    """``path`` (PNG) inlined, so the page needs no file beside it."""
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def page(title: str, meta: str, sections: list[tuple[str, str]]) -> str:
    """The whole document: ``sections`` are ``(heading, inner HTML)``."""
    parts = [f"<h2>{escape(heading)}</h2>\n{body}" for heading, body in sections]
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>\n<h1>{escape(title)}</h1>\n<p class=\"meta\">{escape(meta)}</p>\n"
        + "\n".join(parts) + "\n</body></html>\n"
    )
