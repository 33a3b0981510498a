"""paho's MQTT client with a cheaper receive and acknowledgement path, for the network thread.

Stock paho reads a packet with three ``recv`` calls (its type, its length, the rest) and goes
round its whole loop (``select``, keep-alive bookkeeping) once per packet, and ``Client.ack``
queues and sends each PUBACK on its own. At tens of thousands of small messages a second that
is most of what the network thread does besides decoding, and one thread of one process
does it for every writer. ``BufferedClient`` reads the socket in 64 kB pieces and handles every
whole packet it holds per wake-up; ``puback_all`` sends a batch's PUBACKs as one write.

Both lean on paho internals that have not changed since 1.x (``_sock_recv``, ``_packet_read``,
``_packet_queue``; ``tests/ingest/test_client.py`` pins their behaviour) and fall back to the
stock path where those are missing.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

from paho.mqtt.client import PUBACK, Client, MQTTErrorCode

#: Bytes asked of the socket at a time: a few hundred small messages, or a quarter of a big one.
READ_BYTES = 64 * 1024
#: Socket reads per wake-up of the network loop before it attends to its writes (the PUBACKs
#: and PINGREQs waiting) and keep-alive: under a flood the socket is never empty, and reading
#: it to the end would hold acknowledgements back until the broker stops at Receive Maximum.
READS_PER_WAKE = 4
#: A PUBACK without reason code or properties: success, in MQTT 3.1.1 and 5 alike.
_PUBACK = struct.Struct("!BBH")


class BufferedClient(Client):
    """A paho ``Client`` that reads ahead: fewer system calls and loop rounds per message.

    Everything read ahead is handed out before ``loop_read`` returns: a wake-up ends only
    when the buffer is empty (so ``select`` never sleeps on bytes already read), either
    because the socket had nothing more or after ``READS_PER_WAKE`` reads, when the socket
    still has data and the loop comes straight back.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ahead = b""
        self._ahead_pos = 0
        #: The socket ``_ahead`` came from: a new connection starts with nothing read ahead.
        self._ahead_sock: object = None
        self._reads_left = READS_PER_WAKE

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        """Handle every packet at hand (stock paho: one per call, whatever ``max_packets`` says)."""
        self._reads_left = READS_PER_WAKE
        while True:
            if self._sock is None:
                return MQTTErrorCode.MQTT_ERR_NO_CONN
            rc = self._packet_read()
            if rc > 0:
                return self._loop_rc_handle(rc)
            if rc == MQTTErrorCode.MQTT_ERR_AGAIN:
                return MQTTErrorCode.MQTT_ERR_SUCCESS

    def _sock_recv(self, bufsize: int) -> bytes:
        if self._sock is not self._ahead_sock:
            self._ahead_sock, self._ahead, self._ahead_pos = self._sock, b"", 0
        ahead, pos = self._ahead, self._ahead_pos
        if pos >= len(ahead):
            if self._reads_left <= 0:
                raise BlockingIOError  # paho's "nothing more for now": the loop writes, then comes back
            self._reads_left -= 1
            ahead = super()._sock_recv(max(bufsize, READ_BYTES))  # BlockingIOError when empty
            if not ahead or len(ahead) <= bufsize:
                self._ahead, self._ahead_pos = b"", 0
                return ahead  # all of it (or b"": the broker closed the connection)
            pos = 0
        end = pos + bufsize
        self._ahead, self._ahead_pos = ahead, min(end, len(ahead))
        return ahead[pos:end]


def puback_all(client: Client, mids: Sequence[int]) -> None:
    """Acknowledge QoS 1 messages ``mids`` with one queued write instead of one per message.

    ``Client.ack`` queues each PUBACK as its own packet: a wake-up of the network thread and
    a ``send`` per message. Here they go as one run of bytes, which the broker reads as the
    same packets. Like ``ack`` it uses the client's outgoing queue, which a reconnection
    clears: the caller acknowledges only messages of the current connection.
    """
    queue = getattr(client, "_packet_queue", None)
    if queue is None or len(mids) == 1:
        for mid in mids:
            client.ack(mid, 1)
        return
    pack = _PUBACK.pack
    queue(PUBACK, b"".join([pack(PUBACK, 2, mid) for mid in mids]), mids[-1], 1)
