"""A paho-mqtt subscriber that does nothing but receive: the Python client's own ceiling.

    python -m bench.paho_sink --port 1883 --topic 'bench/v1/#' --count 40000

Same client settings as ``kilowatch ingest`` (MQTT 5, QoS 1, clean start), but paho
acknowledges each message itself on receipt and the callback only counts. Prints
``ready`` once subscribed, then the wall-clock time (``time.time()``) of the last message.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--count", type=int, required=True, help="messages to receive before exiting")
    parser.add_argument("--qos", type=int, default=1)
    args = parser.parse_args()

    done = threading.Event()
    received = 0
    last = 0.0

    def on_message(_client, _userdata, _message) -> None:
        nonlocal received, last
        received += 1
        if received >= args.count:
            last = time.time()
            done.set()

    def on_subscribe(*_args) -> None:
        print("ready", flush=True)

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-paho-sink-{time.time_ns()}", protocol=mqtt.MQTTv5)
    client.on_message = on_message
    client.on_subscribe = on_subscribe
    client.on_connect = lambda c, *_: c.subscribe(args.topic, qos=args.qos)
    client.connect(args.host, args.port)
    client.loop_start()
    if not done.wait(600):
        sys.exit(f"received {received} of {args.count} messages")
    print(f"{last:.6f}", flush=True)
    client.disconnect()
    client.loop_stop()


if __name__ == "__main__":
    main()
