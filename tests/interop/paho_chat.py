"""Chats through the broker with paho-mqtt at MQTT 5 and at 3.1.1.

Usage: paho_chat.py PORT (not paho.py: that name would hide the paho package)
Both clients subscribe to chat/general, each publishes one chat line
("from paho 5" / "from paho 3.1.1"), then they print every chat text they
receive, one JSON line each ({"client": "5", "text": ...}), for 20 s or until
stdin closes.
"""
import json
import sys
import threading
import uuid
from datetime import datetime, timezone

import paho.mqtt.client as mqtt

port = int(sys.argv[1])
lock = threading.Lock()


def payload(user, text):
    return json.dumps({
        "v": 1,
        "id": uuid.uuid4().hex,
        "user": user,
        "text": text,
        "ts": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
    })


def start(label, protocol, user):
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"paho-{label}-{uuid.uuid4().hex[:8]}",
                         protocol=protocol)
    subscribed = threading.Event()

    def on_connect(c, userdata, flags, reason, properties):
        c.subscribe("chat/general", qos=1)

    def on_subscribe(c, userdata, mid, reasons, properties):
        subscribed.set()

    def on_message(c, userdata, msg):
        try:
            text = json.loads(msg.payload)["text"]
        except Exception:
            text = None
        with lock:
            print(json.dumps({"client": label, "text": text}), flush=True)

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    client.connect("127.0.0.1", port)
    client.loop_start()
    if not subscribed.wait(10):
        sys.exit(f"paho {label}: no SUBACK")
    with lock:
        print(json.dumps({"client": label, "ready": True}), flush=True)
    client.publish("chat/general", payload(user, f"from paho {label}"), qos=1).wait_for_publish(10)
    return client


clients = [start("5", mqtt.MQTTv5, "paho5"), start("3.1.1", mqtt.MQTTv311, "paho311")]
stdin_closed = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stdin_closed.set()), daemon=True).start()
stdin_closed.wait(20)
for c in clients:
    c.loop_stop()
    c.disconnect()
