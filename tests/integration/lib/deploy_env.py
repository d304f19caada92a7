"""Helpers for the deploy scenarios (tests/integration/deploy/*.py). Mail: a real SMTP server on
loopback (aiosmtpd's Controller, Debian's python3-aiosmtpd) storing each message it receives, and
a test-local msmtprc so that `msmtp -C FILE` is the sendmail the hooks talk to."""
import email
import email.policy
import os
import sys
import time

import harness as h

HOOK = h.script("deploy/hooks/notify-email")

# The two documents exactly as flatsign-slave writes them (slave/publisher.cpp).
CHANGE_DOC = ('{"zone":"example.test.","old_serial":2026112301,"new_serial":2026112302,'
              '"master_serial":2026112302,"master":"10.99.0.1:53",'
              '"added":["example.test.\\t300\\tIN\\tA\\t198.51.100.7"],'
              '"removed":["example.test.\\t300\\tIN\\tA\\t198.51.100.6"],'
              '"time":"2026-11-23T12:00:00Z"}\n')
ALERT_DOC = ('{"zone":"example.test.","verdict":"refused-shrink","detail":"12 of 14 RRsets '
             'would vanish","master":"10.99.0.1:53","serial":2026112302,'
             '"time":"2026-11-23T12:01:00Z"}\n')


def python3():
    """Debian's python3 (aiosmtpd is a Debian package; other Pythons on PATH lack it)."""
    return "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable


class SmtpServer:
    """aiosmtpd on 127.0.0.1:<free port>, in its own process, one file per message in `maildir`."""

    def __init__(self, tmp, name="smtp"):
        try:
            import aiosmtpd  # noqa: F401
        except ImportError:
            h.skip("python3-aiosmtpd is not installed (scripts/install-deps)")
        self.port = h.free_port(kind=__import__("socket").SOCK_STREAM)
        self.maildir = tmp.file(name + "/mail")
        os.makedirs(self.maildir, exist_ok=True)
        server = tmp.write(name + "/server.py", SERVER_PY)
        self.proc = h.Process([python3(), server, str(self.port), self.maildir],
                              log_path=tmp.file(name + "/server.log"))
        h.wait_for(lambda: os.path.exists(os.path.join(self.maildir, ".ready")), 10,
                   what="the SMTP server\n" + self.proc.log())
        self.msmtprc = tmp.write(name + "/msmtprc", """defaults
auth off
tls off
logfile %s
account default
host 127.0.0.1
port %d
from flatsign@example.test
""" % (tmp.file(name + "/msmtp.log"), self.port))
        os.chmod(self.msmtprc, 0o600)
        self.sendmail = "%s -C %s" % (h.peer("msmtp"), self.msmtprc)

    def messages(self):
        out = []
        for f in sorted(os.listdir(self.maildir)):
            if f.endswith(".eml"):
                with open(os.path.join(self.maildir, f), "rb") as fh:
                    out.append(email.message_from_bytes(fh.read(), policy=email.policy.default))
        return out

    def wait_messages(self, n, timeout=15):
        h.wait_for(lambda: len(self.messages()) >= n, timeout,
                   what="%d message(s) at the SMTP server\n%s" % (n, self.proc.log()))
        return self.messages()

    def stop(self):
        self.proc.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


SERVER_PY = r'''
import os, sys, time
from aiosmtpd.controller import Controller

port, maildir = int(sys.argv[1]), sys.argv[2]

class Store:
    count = 0
    async def handle_DATA(self, server, session, envelope):
        Store.count += 1
        path = os.path.join(maildir, "%04d.eml" % Store.count)
        hdr = "X-Envelope-From: %s\r\nX-Envelope-To: %s\r\n" % (
            envelope.mail_from, ", ".join(envelope.rcpt_tos))
        with open(path + ".tmp", "wb") as f:
            f.write(hdr.encode() + envelope.original_content)
        os.rename(path + ".tmp", path)
        print("stored", path, flush=True)
        return "250 Message accepted for delivery"

c = Controller(Store(), hostname="127.0.0.1", port=port)
c.start()
open(os.path.join(maildir, ".ready"), "w").close()
try:
    while True:
        time.sleep(3600)
finally:
    c.stop()
'''
