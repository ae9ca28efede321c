#!/usr/bin/python3
"""A loopback webhook receiver for the briefos-email tests.

usage: WEBHOOK_SECRET=s /usr/bin/python3 webhook_receiver.py DIR

Listens on 127.0.0.1 at a free port and prints the port on stdout once it
accepts connections. For every POST it checks what a real receiver must:
X-Briefos-Signature is the hex HMAC-SHA256 of "<X-Briefos-Timestamp>.<body>"
under the secret from the environment (never argv), and the timestamp is
within 5 minutes. A valid request is stored as DIR/req-N.json and answered
with the status read from DIR/status (default 200); an invalid one is
answered 401 and counted in DIR/bad-signatures.
"""
import hashlib
import hmac
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DIR = sys.argv[1]
SECRET = os.environ["WEBHOOK_SECRET"].encode()
os.makedirs(DIR, exist_ok=True)
state = {"requests": 0, "bad": 0}


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        ts = self.headers.get("X-Briefos-Timestamp", "")
        sig = self.headers.get("X-Briefos-Signature", "")
        want = hmac.new(SECRET, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        fresh = ts.isdigit() and abs(time.time() - int(ts)) < 300
        if not (fresh and hmac.compare_digest(sig, want)):
            state["bad"] += 1
            write_atomic(os.path.join(DIR, "bad-signatures"), str(state["bad"]).encode())
            self.reply(401)
            return
        try:
            with open(os.path.join(DIR, "status")) as f:
                status = int(f.read().strip() or "200")
        except FileNotFoundError:
            status = 200
        if 200 <= status < 300:
            state["requests"] += 1
            write_atomic(os.path.join(DIR, "req-%d.json" % state["requests"]), body)
        self.reply(status)

    def reply(self, status):
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
sys.stdout.write("%d\n" % server.server_address[1])
sys.stdout.flush()
sys.stdout.close()
server.serve_forever()
