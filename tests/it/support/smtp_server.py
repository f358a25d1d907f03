"""A real SMTP server (aiosmtpd) that answers as a test tells it to.

Started by tests/it/support/smtp.rs as

    python3 smtp_server.py PORT MAILDIR MODE

and stores what it accepts in MAILDIR, like aiosmtpd's own Mailbox handler. MODE:

- ``accept``: accepts every mail;
- ``rcpt-550-all``: refuses every recipient with 550;
- ``rcpt-550-one``: refuses recipients whose local part starts with "refused" with 550;
- ``auth-535``: offers AUTH, refuses every login with 535, and requires a login;
- ``auth-ok``: offers AUTH, accepts every login, and requires a login;
- ``data-554``: refuses every message after DATA with 554;
- ``greylist``: answers the first RCPT TO with 451, every later one with 250.

It runs until it is killed.
"""

import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult


class Scripted(Mailbox):
    def __init__(self, maildir, mode):
        super().__init__(maildir)
        self.mode = mode
        self.rcpts = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpts += 1
        if self.mode == "rcpt-550-all":
            return "550 5.1.1 <%s>: recipient address rejected: relay not permitted" % address
        if self.mode == "rcpt-550-one" and address.startswith("refused"):
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        if self.mode == "greylist" and self.rcpts == 1:
            return "451 4.7.1 <%s>: greylisted, try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.mode == "data-554":
            return "554 5.7.1 message refused as spam"
        return await super().handle_DATA(server, session, envelope)


def refuse_every_login(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=False, handled=False)


def accept_every_login(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=True)


def main():
    port, maildir, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    options = {}
    if mode in ("auth-535", "auth-ok"):
        options = {
            "authenticator": refuse_every_login if mode == "auth-535" else accept_every_login,
            "auth_require_tls": False,
            "auth_required": True,
        }
    controller = Controller(Scripted(maildir, mode), hostname="127.0.0.1", port=port, **options)
    controller.start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
