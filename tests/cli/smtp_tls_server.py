#!/usr/bin/python3
"""A loopback SMTP server with TLS and AUTH for the briefos-email tests.

usage: SMTP_TEST_USER=u SMTP_TEST_PASSWORD=p /usr/bin/python3 smtp_tls_server.py \\
           DIR CERT KEY starttls|implicit

Debian's aiosmtpd, run by /usr/bin/python3. Listens on 127.0.0.1 at a free
port and prints the port on stdout once it accepts connections. "starttls"
offers STARTTLS and refuses MAIL before it (require_starttls); "implicit"
speaks TLS from the first byte (smtps). Either way AUTH PLAIN/LOGIN is
required, accepted only over TLS and only for the user and password in the
environment (never argv, so a test's `ps` shows no secret). Each accepted
message is stored atomically as DIR/msg-N.eml with DIR/msg-N.json holding
the envelope, whether the session was encrypted and who authenticated;
DIR/auth-failures counts refused logins.
"""
import asyncio
import json
import os
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult

DIR, CERT, KEY, MODE = sys.argv[1:5]
USER = os.environ["SMTP_TEST_USER"].encode()
PASSWORD = os.environ["SMTP_TEST_PASSWORD"].encode()
os.makedirs(DIR, exist_ok=True)
state = {"messages": 0, "auth_failures": 0}


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == USER and auth_data.password == PASSWORD
    if not ok:
        state["auth_failures"] += 1
        write_atomic(os.path.join(DIR, "auth-failures"), str(state["auth_failures"]).encode())
    # handled=False: aiosmtpd then answers 535 itself (its default, True,
    # means "the authenticator already replied" and leaves the client waiting).
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


class Handler:
    async def handle_DATA(self, server, session, envelope):
        state["messages"] += 1
        base = os.path.join(DIR, "msg-%d" % state["messages"])
        write_atomic(base + ".json", json.dumps({
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "login": session.auth_data.login.decode() if session.authenticated else None,
        }).encode())
        write_atomic(base + ".eml", envelope.original_content or envelope.content)
        return "250 2.0.0 Ok: queued as %d" % state["messages"]


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(CERT, KEY)


def factory():
    if MODE == "implicit":
        return SMTP(Handler(), hostname="tls.test", decode_data=False, authenticator=authenticator,
                    auth_required=True, auth_require_tls=False)
    return SMTP(Handler(), hostname="tls.test", decode_data=False, tls_context=context,
                require_starttls=True, authenticator=authenticator, auth_required=True,
                auth_require_tls=True)


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, "127.0.0.1", 0,
                                      ssl=context if MODE == "implicit" else None)
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    sys.stdout.write("%d\n" % server.sockets[0].getsockname()[1])
    sys.stdout.flush()
    sys.stdout.close()
    await stop
    server.close()


asyncio.run(main())
