#!/usr/bin/env python3
"""A pretend pod for the real-systemd tests: the seed's SSH pod on one node's hostPort.

Usage: pretend-pod.py ADDRESS PORT NODE. Greets with an SSH banner (what the agent's banner
probe expects) and answers any line with the node's name, so a client can tell where the LB sent it.
"""
import socketserver
import sys


class Pod(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(b"SSH-2.0-OpenSSH_8.2p1 pretend-pod\r\n")
        self.wfile.flush()
        for _ in self.rfile:
            self.wfile.write(NODE + b"\r\n")
            self.wfile.flush()


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    address, port, node = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    NODE = node.encode()
    Server((address, port), Pod).serve_forever()
