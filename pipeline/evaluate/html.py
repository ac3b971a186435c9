"""``reports/index.html``: the Markdown index as one self-contained page.

The page carries every figure as a base64 PNG ``data:`` URI and its CSS inline,
so it opens offline, from a mail attachment or a copied folder, with nothing
else beside it. Links to other report files (Markdown, CSV, case pages) stay
relative links.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from markdown_it import MarkdownIt

from pipeline.plotting import png_data_uri

_CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; max-width: 1200px;
       margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; }
th { background: #f2f2f2; }
img { max-width: 100%; height: auto; border: 1px solid #ddd; }
code { background: #f5f5f5; padding: 0 0.2em; }
h1, h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
"""


def _is_local(target: str) -> bool:
    return bool(target) and "://" not in target and not target.startswith(("data:", "#", "mailto:"))


def markdown_page(markdown: str, base_dir: Path, title: str) -> tuple[str, list[str]]:
    """Markdown -> a standalone HTML page, local PNG images embedded.

    Parameters
    ----------
    markdown : str
        The page (CommonMark with tables).
    base_dir : Path
        What relative image paths are relative to.
    title : str

    Returns
    -------
    html : str
    missing : list of str
        Local images or links that do not exist (left as they are in the page).
    """
    md = MarkdownIt("commonmark").enable("table")
    tokens = md.parse(markdown)
    missing = []
    for token in tokens:
        for child in token.children or ():
            attr = {"image": "src", "link_open": "href"}.get(child.type)
            target = child.attrGet(attr) if attr else None
            if not isinstance(target, str) or not _is_local(target):
                continue
            path = base_dir / target.split("#")[0]
            if not path.is_file():
                missing.append(target)
            elif child.type == "image" and path.suffix.lower() == ".png":
                child.attrSet("src", png_data_uri(path.read_bytes()))
    body = md.renderer.render(tokens, md.options, {})
    page = (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n{body}</body>\n</html>\n"
    )
    return page, missing
