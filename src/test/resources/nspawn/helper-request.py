#!/usr/bin/env python3
"""Sends each request of a file (separated by lines '=====') to the apply helper's socket, as
whoever runs this; prints a JSON list of the answers (or the error that stopped the connection)."""
import json
import socket
import sys

path, requests = sys.argv[1], open(sys.argv[2], "rb").read().split(b"=====\n")
answers = []
for request in requests:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(20)
            s.connect(path)
            s.sendall(request)
            s.shutdown(socket.SHUT_WR)
            answer = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                answer += chunk
            answers.append(answer.decode("utf-8", "replace"))
    except OSError as e:
        answers.append("ERROR %s" % e)
print(json.dumps(answers))
