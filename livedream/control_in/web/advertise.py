"""--advertise: announce OSCQuery (_oscjson._tcp) and OSC (_osc._udp) with zeroconf, so clients list livedream."""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any

log = logging.getLogger(__name__)

NAME = "livedream"


def services(http_port: int, osc_port: int | None, instance: str) -> list[tuple[str, str, int]]:
    """(service type, instance name, port) to announce: OSCQuery on the web port, OSC on the OSC port."""
    out = [("_oscjson._tcp.local.", f"{instance}._oscjson._tcp.local.", http_port)]
    if osc_port is not None:
        out.append(("_osc._udp.local.", f"{instance}._osc._udp.local.", osc_port))
    return out


def _addresses() -> list[str]:
    import ifaddr

    return [
        str(ip.ip)
        for adapter in ifaddr.get_adapters()
        for ip in adapter.ips
        if ip.is_IPv4 and not str(ip.ip).startswith("127.")
    ]


class Advertiser:
    """Registers the services on a thread of its own (zeroconf probes for a second or so); close() withdraws them."""

    def __init__(self, zc: Any, infos: list[Any]):
        self._zc, self._infos = zc, infos

    @classmethod
    def start(cls, http_port: int, osc_port: int | None) -> Advertiser | None:
        try:
            from zeroconf import ServiceInfo, Zeroconf
        except ImportError:
            log.error("--advertise needs zeroconf: pip install 'livedream[web]'; OSCQuery is served all the same")
            return None
        host = socket.gethostname().split(".")[0] or NAME
        instance = f"{NAME} on {host}"
        try:
            addresses = _addresses()
            zc = Zeroconf()
        except Exception as exc:  # noqa: BLE001 - no network to announce on: the server goes on unannounced
            log.error("--advertise: cannot announce (%s); OSCQuery is served all the same", exc)
            return None
        infos = [
            ServiceInfo(kind, name, port=port, parsed_addresses=addresses, server=f"{host}.local.")
            for kind, name, port in services(http_port, osc_port, instance)
        ]
        advertiser = cls(zc, infos)
        threading.Thread(target=advertiser._register, name="livedream-zeroconf", daemon=True).start()
        return advertiser

    def _register(self) -> None:
        for info in self._infos:
            try:
                self._zc.register_service(info)
                log.info("advertised %s on port %d", info.type, info.port)
            except Exception as exc:  # noqa: BLE001 - a name clash or a network error: one line, the show goes on
                log.error("--advertise %s: %s", info.type, exc)

    def close(self) -> None:
        try:
            self._zc.unregister_all_services()
            self._zc.close()
        except Exception as exc:  # noqa: BLE001 - withdrawing at exit is best effort
            log.debug("zeroconf close: %s", exc)
