#!/usr/bin/env python3
"""Connects through the LB's frontend as a client would: prints the node that answered, or FAIL."""
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
try:
    with socket.create_connection((host, port), timeout=3) as s:
        f = s.makefile("rwb")
        banner = f.readline()
        if not banner.startswith(b"SSH-2.0-"):
            print("FAIL no banner: %r" % banner)
            sys.exit(1)
        f.write(b"hello\r\n")
        f.flush()
        print(f.readline().decode().strip())
except OSError as e:
    print("FAIL %s" % e)
    sys.exit(1)
