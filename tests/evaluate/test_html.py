"""The self-contained index page: figures embedded, missing files reported."""

from __future__ import annotations

import base64

from pipeline.evaluate.html import markdown_page


def test_local_png_is_embedded_and_missing_targets_are_listed(tmp_path):
    png = b"\x89PNG\r\n\x1a\nfake"
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "a.png").write_bytes(png)
    text = (
        "# T\n\n| x | y |\n| --- | --- |\n| 1 | 2 |\n\n![a](results/a.png)\n\n"
        "![b](results/b.png) [table](table1.md) [site](https://example.org)\n"
    )
    page, missing = markdown_page(text, tmp_path, "T <1>")
    assert f'src="data:image/png;base64,{base64.b64encode(png).decode()}"' in page
    assert missing == ["results/b.png", "table1.md"]
    assert "<title>T &lt;1&gt;</title>" in page and "<td>1</td>" in page
