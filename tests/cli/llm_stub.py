#!/usr/bin/python3
"""A local stand-in for an OpenAI-compatible chat-completions server.

Behaviour is chosen by the URL path prefix, so one server serves every case:

  /ok/...                   200 with a completion
  /slow/<ms>/...            waits <ms> milliseconds, then 200
  /hang/...                 waits 30 s (longer than any client timeout here)
  /429once/<key>/...        first request for <key>: 429 with Retry-After: 1;
                            then 200
  /500/...                  always 500
  /garbage/...              200 with a body that is not JSON
  /truncated/...            200 with JSON cut off half-way
  /model/<name>/...         200 only for model <name>, 404 for any other
  /echo401/...              401 whose error message quotes the Authorization
                            header it got, as some servers and proxies do

Fault modes (tests/cli/fault_llm.test.sh, hostile_content.test.sh):

  /429storm/...             always 429 with Retry-After: 1
  /429bare/...              always 429 without Retry-After
  /drip/<ms>/...            200 with a complete JSON completion, sent one
                            byte every <ms> milliseconds
  /huge/<mb>/...            200 with <mb> MiB of a JSON string that never
                            ends (streamed, no Content-Length)
  /bigok/<kb>/...           200 with a valid completion of <kb> KiB
  /content/<name>/...       200 with a valid completion whose content is
                            CONTENTS[<name>] (NUL, lone surrogates, ...)
  /raw/<name>/...           200 with the raw body RAW[<name>] (invalid
                            UTF-8, JSON of the wrong shape, ...)
  /rawstatus/<code>/<name>/ <code> with the raw body RAW[<name>]
  /cycle/<a>+<b>+.../       200 with RAW[<a>] for the first request on this
                            path, RAW[<b>] for the second, and so on

Every request is appended to the log file as one JSON line: path, model,
authorization header, time. The port is written to --port-file once the
server listens.
"""
import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

counts = {}

# Completion texts that are valid JSON but hostile once decoded.
CONTENTS = {
    "nul": "# Analysis\n\nbefore\u0000after",
    "script": "# Analysis\n\n<script>alert(1)</script> [x](javascript:alert(1))",
}
# Raw bodies: not valid JSON, or valid JSON of the wrong shape. The
# "cut" bodies put a multi-byte character across every likely cut point.
RAW = {
    "badutf8": b'{"choices":[{"message":{"role":"assistant","content":"bad \xff\xfe bytes"}}]}',
    "latin1": b"\xe9chec: \xff\xfe not utf-8 at all \x00 and a NUL",
    "cut": ("\u00e9" * 200).encode(),
    "cutjson": ('{"error":{"message":"' + "\u00e9" * 300 + '"}}').encode(),
    "surrogate": b'{"choices":[{"message":{"role":"assistant","content":"lone \\ud800 surrogate"}}]}',
    "nulmsg": b'{"error":{"message":"quota\\u0000exceeded \\u0007 bell"}}',
    "garbage": b"<html>this is not json {",
    "truncated": b'{"id":"chatcmpl-stub","object":"chat.com',
    "wrongshape": b'{"choices":"none"}',
    "nocontent": b'{"choices":[{"message":{"role":"assistant","content":42}}]}',
    "emptychoices": b'{"choices":[]}',
    "array": b'[1,2,3]',
    "deep": b"[" * 100000 + b"]" * 100000,
}
lock = threading.Lock()
log_file = None


def completion(model, text):
    return json.dumps({
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "model": model,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": text}}],
    }).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        try:
            req = json.loads(raw)
        except ValueError:
            req = {}
        model = req.get("model", "")
        parts = [p for p in self.path.split("/") if p]
        with lock:
            log_file.write(json.dumps({
                "path": self.path, "model": model,
                "authorization": self.headers.get("Authorization", ""),
                "messages": len(req.get("messages", [])),
                "t": time.time()}) + "\n")
            log_file.flush()
        if not self.path.endswith("/v1/chat/completions"):
            self.send(404, b'{"error":{"message":"no such endpoint"}}')
            return
        mode = parts[0] if parts else ""
        text = "# Daily Brief Analysis - stub\n\nFocus on the launch."
        if mode == "ok":
            self.send(200, completion(model, text))
        elif mode == "slow":
            time.sleep(int(parts[1]) / 1000.0)
            self.send(200, completion(model, text))
        elif mode == "hang":
            time.sleep(30)
            self.send(200, completion(model, text))
        elif mode == "429once":
            with lock:
                n = counts.get(parts[1], 0)
                counts[parts[1]] = n + 1
            if n == 0:
                self.send(429, b'{"error":{"message":"rate limited"}}', {"Retry-After": "1"})
            else:
                self.send(200, completion(model, text))
        elif mode == "500":
            self.send(500, b'{"error":{"message":"upstream exploded"}}')
        elif mode == "garbage":
            self.send(200, b"<html>this is not json {")
        elif mode == "truncated":
            self.send(200, completion(model, text)[:40])
        elif mode == "model":
            if model == parts[1]:
                self.send(200, completion(model, text + " (" + model + ")"))
            else:
                self.send(404, b'{"error":{"message":"model not found"}}')
        elif mode == "429storm":
            self.send(429, b'{"error":{"message":"rate limited"}}', {"Retry-After": "1"})
        elif mode == "429bare":
            self.send(429, b'{"error":{"message":"rate limited"}}')
        elif mode == "drip":
            body = completion(model, text)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                for i in range(len(body)):
                    self.wfile.write(body[i:i + 1])
                    self.wfile.flush()
                    time.sleep(int(parts[1]) / 1000.0)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif mode == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            chunk = b"x" * 65536
            try:
                self.wfile.write(b'{"choices":[{"message":{"content":"')
                for _ in range(int(parts[1]) * 16):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif mode == "bigok":
            self.send(200, completion(model, "# Big\n\n" + "y" * (int(parts[1]) * 1024)))
        elif mode == "content":
            self.send(200, completion(model, CONTENTS[parts[1]]))
        elif mode == "raw":
            self.send(200, RAW[parts[1]])
        elif mode == "rawstatus":
            self.send(int(parts[1]), RAW[parts[2]])
        elif mode == "cycle":
            names = parts[1].split("+")
            with lock:
                n = counts.get(self.path, 0)
                counts[self.path] = n + 1
            self.send(200, RAW[names[n % len(names)]])
        elif mode == "echo401":
            self.send(401, json.dumps({"error": {"message": "invalid credential: "
                                       + self.headers.get("Authorization", "")}}).encode())
        else:
            self.send(400, b'{"error":{"message":"unknown stub mode"}}')


def main():
    global log_file
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    args = ap.parse_args()
    log_file = open(args.log, "a")
    # A listen backlog of 5 (the http.server default) drops connection
    # attempts beyond it, and the client retries them a second later: that
    # would measure the stub, not the overlap of requests.
    ThreadingHTTPServer.request_queue_size = 256
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.rename(args.port_file + ".tmp", args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
