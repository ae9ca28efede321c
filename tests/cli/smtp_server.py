#!/usr/bin/python3
"""A loopback SMTP server for the briefos-email tests (Debian's aiosmtpd).

usage: /usr/bin/python3 smtp_server.py DIR

Listens on 127.0.0.1 at a free port and prints the port on stdout (one line)
once it accepts connections, so a test can `read port < fifo` instead of
sleeping. Every accepted message is stored atomically as DIR/msg-N.eml with
its envelope in DIR/msg-N.json; DIR/sessions counts SMTP connections.

What the server answers is read from DIR/script before every DATA: a
comma-separated list of actions, one consumed per message (the last one stays
in force): 250 (accept), 451 (try again later), 550 (rejected),
drop (close the connection mid-DATA, without a reply), rcpt550 (refuse the
recipient at RCPT TO). No script file means 250.

Fault actions (tests/cli/fault_smtp.test.sh): 421, 452, 552 (5.3.4, too
large) and 554 (5.7.1, content rejected) (that reply to the end of DATA,
nothing stored); rcpt452 (452 at RCPT TO); hang (never
answer the end of DATA); slow:MS (answer 250 after MS milliseconds);
late:MS (store the message, then answer 250 after MS milliseconds: a
server that accepted what a client with a shorter timeout gave up on).

With SMTP_SINK_AUTH=user:password in the environment the server offers AUTH
(PLAIN and LOGIN, without TLS: loopback only) and refuses mail until a client
has logged in with exactly that user and password; each message's .json then
records "auth_login", the user it logged in as.

With SMTP_PORT=N the server listens on port N instead of a free one (a test
that stops its relay and starts it again on the same address).
"""
import asyncio
import json
import os
import signal
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

DIR = sys.argv[1]
os.makedirs(DIR, exist_ok=True)
state = {"messages": 0, "sessions": 0}
AUTH = os.environ.get("SMTP_SINK_AUTH")


def authenticator(server, session, envelope, mechanism, auth_data):
    user, _, password = AUTH.partition(":")
    ok = (isinstance(auth_data, LoginPassword)
          and auth_data.login == user.encode() and auth_data.password == password.encode())
    return AuthResult(success=ok, handled=False, auth_data=user if ok else None)


def next_action(consume):
    path = os.path.join(DIR, "script")
    try:
        with open(path) as f:
            actions = [a.strip() for a in f.read().strip().split(",") if a.strip()]
    except FileNotFoundError:
        return "250"
    if not actions:
        return "250"
    action = actions[0]
    if consume and len(actions) > 1:
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(",".join(actions[1:]))
        os.replace(tmp, path)
    return action


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if next_action(False) == "rcpt550":
            next_action(True)
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        if next_action(False) == "rcpt452":
            next_action(True)
            return "452 4.2.2 <%s>: Mailbox full, try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        action = next_action(True)
        if action == "drop":
            server.transport.abort()
            return "421 4.4.2 connection dropped"
        if action == "451":
            return "451 4.3.0 Temporary failure, try again later"
        if action == "550":
            return "550 5.7.1 Message rejected by policy"
        if action == "421":
            return "421 4.3.2 Service shutting down, closing transmission channel"
        if action == "452":
            return "452 4.3.1 Insufficient system storage"
        if action == "554":
            return "554 5.7.1 Transaction failed: message content rejected"
        if action == "552":
            return "552 5.3.4 Message size exceeds fixed maximum message size"
        if action == "hang":
            await asyncio.sleep(3600)
        if action.startswith("slow:"):
            await asyncio.sleep(int(action[5:]) / 1000.0)
        if action.startswith("late:"):
            reply = store(server, session, envelope)
            await asyncio.sleep(int(action[5:]) / 1000.0)
            return reply
        return store(server, session, envelope)


def store(server, session, envelope):
    """Keep the message as DIR/msg-N.eml (+ .json envelope); the 250 reply."""
    state["messages"] += 1
    n = state["messages"]
    base = os.path.join(DIR, "msg-%d" % n)
    write_atomic(base + ".json", json.dumps({
        "mail_from": envelope.mail_from,
        "rcpt_tos": envelope.rcpt_tos,
        "session": getattr(server, "briefos_session", 0),
        "auth_login": session.auth_data if session.authenticated else None,
    }).encode())
    write_atomic(base + ".eml", envelope.original_content or envelope.content)
    return "250 2.0.0 Ok: queued as %d" % n


def factory():
    state["sessions"] += 1
    write_atomic(os.path.join(DIR, "sessions"), str(state["sessions"]).encode())
    auth = {}
    if AUTH:
        auth = {"authenticator": authenticator, "auth_required": True,
                "auth_require_tls": False}
    smtp = SMTP(Handler(), hostname="sink.test", decode_data=False, **auth)
    smtp.briefos_session = state["sessions"]
    return smtp


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, "127.0.0.1", int(os.environ.get("SMTP_PORT", "0")),
                                      reuse_address=True)
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    port = server.sockets[0].getsockname()[1]
    sys.stdout.write("%d\n" % port)
    sys.stdout.flush()
    sys.stdout.close()
    await stop
    server.close()


asyncio.run(main())
