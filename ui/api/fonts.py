"""The CJK font served with the page, so Chinese renders on a machine without a CJK system font.

:class:`FontRoute`, an ASGI middleware in front of Gradio, answers ``GET <page>/tunescope-fonts/tunescope-cjk.woff2``
with the subset in ``assets/fonts`` (``core.plots.fonts``; cached for a day, no server path in the URL);
:func:`page_css` is the ``@font-face`` rule the page gets, with the family in the theme's font list after the
Latin fonts, so CJK characters, and only they, come from it.
"""

from __future__ import annotations

from typing import Any

from core.plots.fonts import FAMILY, ROUTE, WEB_FONT, font_face_css

HEADERS = [(b"content-type", b"font/woff2"), (b"cache-control", b"public, max-age=86400"),
           (b"x-content-type-options", b"nosniff")]


def page_css() -> str:
    """The ``@font-face`` rule (the font at a URL relative to the page, so it works under a root path) and the
    theme's font list with :data:`FAMILY` before the generic ``sans-serif``: CJK characters, and only they, come
    from it where the system has no CJK font (set as CSS: a theme with a font list of its own breaks Gradio's
    comparison with the built-in themes)."""
    rule = font_face_css(url=ROUTE)
    fonts = f"'Montserrat', 'ui-sans-serif', 'system-ui', \"{FAMILY}\", sans-serif"
    return f"{rule}\n:root, .gradio-container {{ --font: {fonts}; }}\n" if rule else ""


class FontRoute:
    """ASGI middleware: serves the CJK web font at :data:`ROUTE` below any path; everything else goes on."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope.get("type") == "http" else ""
        if not path.endswith("/" + ROUTE) or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        try:
            body = WEB_FONT.read_bytes()
        except OSError:
            await send({"type": "http.response.start", "status": 404, "headers": [(b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
            return
        headers = [*HEADERS, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body if scope["method"] == "GET" else b""})
