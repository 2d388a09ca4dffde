#!/usr/bin/env python3
"""The clients of a fleet rollout test: one that connects every 20 ms, one that holds a session.

Usage: fleet-clients.py DIR HELD_PORT. Every 20 ms it connects to each port listed in DIR/ports
(one per line, read again each round), reads the pretend pod's SSH banner, sends a line and reads
the node's name back. One session to HELD_PORT is opened at the start and kept: every 200 ms it
sends a line and must get the node's name back. Every failure is a line in DIR/failures (what,
port, when, why); DIR/counts holds each port's successful connections and the held session's
exchanges, rewritten every round.
"""
import json
import os
import socket
import sys
import time

out, held_port = sys.argv[1], int(sys.argv[2])
counts = {}


def fail(what, port, why):
    with open(os.path.join(out, "failures"), "a") as f:
        f.write("%s %s at %.3f: %s\n" % (what, port, time.time(), why))


def once(port):
    with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
        f = s.makefile("rwb")
        banner = f.readline()
        if not banner.startswith(b"SSH-2.0-"):
            raise OSError("no banner: %r" % banner)
        f.write(b"hello\r\n")
        f.flush()
        node = f.readline().strip()
        if not node:
            raise OSError("no answer after the banner")


def ports():
    try:
        with open(os.path.join(out, "ports")) as f:
            return [int(line) for line in f.read().split()]
    except OSError:
        return []


held = socket.create_connection(("127.0.0.1", held_port), timeout=3)
held_file = held.makefile("rwb")
if not held_file.readline().startswith(b"SSH-2.0-"):
    fail("held", held_port, "no banner")
    sys.exit(1)
held_alive = True
next_ping = 0.0
while True:
    started = time.monotonic()
    for port in ports():
        try:
            once(port)
            counts[port] = counts.get(port, 0) + 1
        except OSError as e:
            fail("connect", port, e)
    if held_alive and started >= next_ping:
        next_ping = started + 0.2
        try:
            held_file.write(b"still there?\r\n")
            held_file.flush()
            if not held_file.readline().strip():
                raise OSError("closed")
            counts["held"] = counts.get("held", 0) + 1
        except OSError as e:
            held_alive = False
            fail("held", held_port, "dropped: %s" % e)
    with open(os.path.join(out, "counts.tmp"), "w") as f:
        json.dump({str(k): v for k, v in counts.items()}, f)
    os.replace(os.path.join(out, "counts.tmp"), os.path.join(out, "counts"))
    time.sleep(max(0.0, 0.02 - (time.monotonic() - started)))
