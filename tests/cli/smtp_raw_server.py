#!/usr/bin/python3
"""A raw-socket SMTP server for protocol faults that aiosmtpd cannot make.

usage: /usr/bin/python3 smtp_raw_server.py DIR

Listens on 127.0.0.1 at a free port and prints the port on stdout once it
accepts connections (like smtp_server.py). Each connection takes the next
action from DIR/script (comma-separated, one per connection, the last one
stays in force) and appends a line to DIR/log:

  greet421    greet with 421 (service not available) and close
  greet554    greet with 554 (no SMTP service here) and close
  greethang   accept the connection and never greet
  ehlohang    greet, then never answer EHLO
  middata     a normal dialogue up to DATA's 354, then close the
              connection after the first chunk of the message
  trickle:MS  a normal dialogue that waits MS milliseconds before every
              reply; a message whose end of DATA arrives is stored (and
              counted) before the final, delayed, 250
  ok          a normal dialogue; the message is stored

Stored messages go to DIR/msg-N.eml, as with smtp_server.py.
"""
import asyncio
import os
import signal
import sys

DIR = sys.argv[1]
os.makedirs(DIR, exist_ok=True)
state = {"messages": 0, "connections": 0}


def next_action():
    path = os.path.join(DIR, "script")
    try:
        with open(path) as f:
            actions = [a.strip() for a in f.read().strip().split(",") if a.strip()]
    except FileNotFoundError:
        return "ok"
    if not actions:
        return "ok"
    if len(actions) > 1:
        with open(path + ".tmp", "w") as f:
            f.write(",".join(actions[1:]))
        os.replace(path + ".tmp", path)
    return actions[0]


def log(line):
    with open(os.path.join(DIR, "log"), "a") as f:
        f.write(line + "\n")


def store(data):
    state["messages"] += 1
    path = os.path.join(DIR, "msg-%d.eml" % state["messages"])
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)


async def session(reader, writer):
    state["connections"] += 1
    action = next_action()
    log("connection %d: %s" % (state["connections"], action))
    delay = int(action.split(":")[1]) / 1000.0 if action.startswith("trickle:") else 0

    async def reply(text):
        if delay:
            await asyncio.sleep(delay)
        writer.write((text + "\r\n").encode())
        await writer.drain()

    try:
        if action == "greet421":
            await reply("421 4.3.2 sink.test Service not available, closing transmission channel")
            return
        if action == "greet554":
            await reply("554 5.3.2 sink.test No SMTP service here")
            return
        if action == "greethang":
            await asyncio.sleep(3600)
            return
        await reply("220 sink.test ESMTP raw")
        while True:
            line = await reader.readline()
            if not line:
                return
            cmd = line.decode("ascii", "replace").strip().upper()
            if cmd.startswith("EHLO") and action == "ehlohang":
                log("hanging after EHLO")
                await asyncio.sleep(3600)
                return
            if cmd.startswith("EHLO"):
                await reply("250-sink.test\r\n250 8BITMIME")
            elif cmd.startswith("HELO") or cmd.startswith("MAIL") or cmd.startswith("RCPT") \
                    or cmd.startswith("RSET") or cmd.startswith("NOOP"):
                await reply("250 OK")
            elif cmd == "DATA":
                await reply("354 End data with <CR><LF>.<CR><LF>")
                if action == "middata":
                    await reader.read(512)
                    log("dropped mid-DATA")
                    return
                data = b""
                while not data.endswith(b"\r\n.\r\n"):
                    chunk = await reader.readline()
                    if not chunk:
                        log("client went away during DATA")
                        return
                    data += chunk
                store(data[:-5] + b"\r\n")
                log("stored message %d" % state["messages"])
                await reply("250 2.0.0 Ok: queued")
                log("answered 250 for message %d" % state["messages"])
            elif cmd == "QUIT":
                await reply("221 Bye")
                return
            else:
                await reply("500 5.5.1 Unrecognised command")
    except (ConnectionResetError, BrokenPipeError):
        log("connection reset")
    finally:
        writer.close()


async def main():
    loop = asyncio.get_running_loop()
    server = await asyncio.start_server(session, "127.0.0.1", 0)
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    sys.stdout.write("%d\n" % server.sockets[0].getsockname()[1])
    sys.stdout.flush()
    sys.stdout.close()
    await stop
    server.close()


asyncio.run(main())
