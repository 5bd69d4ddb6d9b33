"""Who is at the other end of a Unix socket (Linux SO_PEERCRED)."""

from __future__ import annotations

import socket
import struct

_UCRED = struct.Struct("3i")  # pid, uid, gid


def peer_uid(sock: socket.socket) -> int | None:
    """The uid of the process at the other end, or None where the platform cannot tell
    (the socket's mode 0600 inside a private directory is then the only guard)."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return None
    raw = sock.getsockopt(socket.SOL_SOCKET, option, _UCRED.size)
    _pid, uid, _gid = _UCRED.unpack(raw)
    return int(uid)
