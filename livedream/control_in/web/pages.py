"""The web server's read-only answers: the control page's own files and the OSCQuery namespace over HTTP.

Plain functions of the request and the values in force, so that the server keeps only the threads, the
websockets and the command path; aiohttp is imported inside (the `web` extra is optional).
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from typing import Any

from livedream.control_in.web import oscquery

ASSETS = {  # everything the page is made of: nothing else is ever served from disk
    "index.html": "text/html",
    "app.js": "text/javascript",
    "style.css": "text/css",
}


def page_file(name: str):
    """One of the page's files (a name from ASSETS) as a response."""
    from aiohttp import web

    body = (resources.files(__package__) / "static" / name).read_bytes()
    return web.Response(body=body, content_type=ASSETS[name], charset="utf-8")


def asset(name: str):
    """/static/NAME: one of the page's files, 404 for any other name (no path reaches the disk)."""
    from aiohttp import web

    if name not in ASSETS:
        raise web.HTTPNotFound(text="not one of the page's files")
    return page_file(name)


def oscquery_answer(
    request,
    params: Mapping[str, Any],
    state: Mapping[str, Any],
    presets: list[str],
    osc_host: str | None,
    osc_port: int | None,
):
    """Any other GET: the OSCQuery node at the path (or one attribute of it, ?NAME), HOST_INFO, or the page itself
    for a browser asking for / (OSCQuery clients ask for JSON)."""
    from aiohttp import web

    path = "/" + request.match_info["path"]
    if path == "/" and not request.query_string and "text/html" in request.headers.get("Accept", ""):
        return page_file("index.html")
    if "HOST_INFO" in request.query:
        return web.json_response(oscquery.host_info("livedream", osc_host, osc_port))
    root = oscquery.namespace(params, state, presets, writable=osc_port is not None)
    node = oscquery.find(root, path)
    if node is None:
        raise web.HTTPNotFound(text=f"no OSC method or container at {path[:80]}")
    if request.query_string:
        attribute = request.query_string.split("=", 1)[0]
        if attribute not in oscquery.ATTRIBUTES:
            raise web.HTTPBadRequest(text=f"unknown attribute {attribute[:40]!r}")
        if attribute not in node:
            return web.Response(status=204)
        return web.json_response({attribute: node[attribute]})
    return web.json_response(node)
