#!/usr/bin/python3
"""Run one of the loopback test servers on another address.

usage: /usr/bin/python3 hosts_bind.py ADDRESS SCRIPT [ARGS...]

The test servers of tests/cli (smtp_server.py, llm_stub.py) listen on
127.0.0.1, which is all a test on one machine needs. tests/cli/hosts.test.sh
runs them in the database's network namespace, where the worker hosts reach
them over a bridge at ADDRESS: this wrapper turns every bind to 127.0.0.1
into a bind to ADDRESS (same port) and runs SCRIPT as __main__, so each
server keeps one home for its behaviour.
"""
import runpy
import socket
import sys

address = sys.argv[1]
script = sys.argv[2]
sys.argv = sys.argv[2:]
_bind = socket.socket.bind


def bind(self, addr):
    if isinstance(addr, tuple) and addr and addr[0] == "127.0.0.1":
        addr = (address,) + tuple(addr[1:])
    return _bind(self, addr)


socket.socket.bind = bind
runpy.run_path(script, run_name="__main__")
