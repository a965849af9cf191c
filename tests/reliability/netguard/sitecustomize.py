"""Loaded by every Python process started with this folder on PYTHONPATH: outbound sockets to
anything but loopback are refused and written to $PRUNEGATE_NETGUARD_LOG, so a test can show
that a run needs no network (telemetry really off) rather than merely hoping so."""

import os
import socket

_LOG = os.environ.get("PRUNEGATE_NETGUARD_LOG")
_LOOPBACK = ("localhost", "::1")


def _loopback(host) -> bool:
    host = host.decode() if isinstance(host, bytes) else str(host)
    return host in _LOOPBACK or host.startswith("127.")


def _note(line: str) -> None:
    with open(_LOG, "a") as log:
        log.write(f"{os.getpid()} {line}\n")


def _refuse(what: str, target) -> None:
    _note(f"refused {what} {target!r}")
    raise ConnectionRefusedError(f"netguard: {what} {target!r} refused, loopback only")


def _guard(method):
    def guarded(self, address, *args):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
            _refuse(method.__name__, address)
        return method(self, address, *args)
    return guarded


def _guard_sendto(method):
    def sendto(self, data, *args):
        address = args[-1]
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
            _refuse("sendto", address)
        return method(self, data, *args)
    return sendto


_getaddrinfo = socket.getaddrinfo


def _resolve(host, *args, **kwargs):
    if host not in (None, "") and not _loopback(host):
        _refuse("resolve", host)
    return _getaddrinfo(host, *args, **kwargs)


if _LOG:
    socket.socket.connect = _guard(socket.socket.connect)
    socket.socket.connect_ex = _guard(socket.socket.connect_ex)
    socket.socket.sendto = _guard_sendto(socket.socket.sendto)
    socket.getaddrinfo = _resolve
    _note("armed")
