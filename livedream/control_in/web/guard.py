"""Who may use the control server: loopback by Host header, the page's own origin for commands, the token."""

from __future__ import annotations

import ipaddress
import secrets

LOOPBACK_NAMES = ("localhost", "ip6-localhost")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: this machine only."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The host part of a Host header: "127.0.0.1:8080" -> "127.0.0.1", "[::1]:8080" -> "::1"."""
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def refusal(request, loopback: bool, token: str | None) -> str | None:
    """Why a request is refused, or None. On loopback the Host must name loopback (no DNS rebinding); commands
    (/api/, /ws) must come from the page's own origin and, when there is a token, carry it."""
    if loopback and not is_loopback(host_name(request.host)):
        return "this page is served to this machine only"
    path = request.path
    if path.startswith("/api/") or path == "/ws":
        origin = request.headers.get("Origin")
        if origin is not None and origin != f"http://{request.host}":
            return f"commands from another site ({origin[:80]}) are refused"
        if token is not None:
            given = request.query.get("token") or request.headers.get("X-Livedream-Token") or ""
            if not secrets.compare_digest(given.encode(), token.encode()):
                return "wrong or missing token"
    return None
