"""The report's one HTML file: the page skeleton, the stylesheet and script inlined, the data embedded.

Nothing is fetched: no CDN, font or image URL; logos and plots are SVG built in the page from the embedded
matrices and curves. Strings from the run reach the page only as JSON data, which the script puts into the
DOM as text, so a motif named ``<script>...`` is shown, not run.
"""

from __future__ import annotations

import json
import math
from importlib.resources import files

_ASSETS = files("neuronmotif.report") / "assets"
_SKELETON = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; \
script-src 'unsafe-inline'; img-src data:">
<title>neuronmotif report</title>
<style>{css}</style>
</head>
<body>
<header><h1 id="run-title"></h1><div class="sub" id="run-sub"></div></header>
<nav>
<button data-section="overview">Overview</button>
<button data-section="rules">Rules</button>
<button data-section="atlas">Motif atlas</button>
<button data-section="neurons">Layers and neurons</button>
</nav>
<main>
<section id="overview"></section>
<section id="rules"></section>
<section id="atlas"></section>
<section id="neurons"></section>
</main>
<noscript>This report draws its logos and tables with JavaScript; the data are in the run directory's files.</noscript>
<script type="application/json" id="nm-data">{data}</script>
<script>{js}</script>
</body>
</html>
"""


def _finite(value):
    """The value with NaN and infinities as None (JSON has neither)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def embedded_json(data: dict) -> str:
    """JSON safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` can close it or start markup."""
    text = json.dumps(_finite(data), separators=(",", ":"), allow_nan=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def page_html(data: dict) -> str:
    """The whole report for the data of :func:`neuronmotif.report.collect.collect`."""
    css = (_ASSETS / "report.css").read_text()
    js = (_ASSETS / "report.js").read_text()
    return _SKELETON.format(css=css, js=js, data=embedded_json(data))
