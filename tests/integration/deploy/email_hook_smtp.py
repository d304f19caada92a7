"""deploy/hooks/notify-email delivers through msmtp (as sendmail) to a real SMTP server on loopback:
the change email names the zone and old -> new serial in its subject and lists the added and
removed records and the time; the alert email names the verdict and what it means; with the SMTP
server gone the hook exits non-zero with one clear stderr line."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import deploy_env as env  # noqa: E402


def hook(smtp_sendmail, doc, event, extra=()):
    environ = dict(os.environ, FLATSIGN_EVENT=event, FLATSIGN_MAIL_TO="ops@example.test",
                   FLATSIGN_MAIL_FROM="slave1@example.test", FLATSIGN_SENDMAIL=smtp_sendmail)
    return h.run([env.python3(), env.HOOK] + list(extra), input=doc, env=environ,
                 check_rc=False, timeout=60)


def main():
    with h.TempDir() as tmp:
        with env.SmtpServer(tmp) as smtp:
            r = hook(smtp.sendmail, env.CHANGE_DOC, "change")
            h.check(r.returncode == 0, "change hook exit %d: %s" % (r.returncode, r.stderr))
            msg = smtp.wait_messages(1)[0]
            subject = msg["Subject"]
            h.check("example.test." in subject and "2026112301 -> 2026112302" in subject,
                    "subject: %r" % subject)
            h.check(msg["X-Envelope-To"] == "ops@example.test", "rcpt: %r" % msg["X-Envelope-To"])
            h.check(msg["X-Envelope-From"] == "slave1@example.test", "from: %r"
                    % msg["X-Envelope-From"])
            body = msg.get_body().get_content()
            for want in ["Added (1):", "198.51.100.7", "Removed (1):", "198.51.100.6",
                         "2026-11-23T12:00:00Z", "10.99.0.1:53"]:
                h.check(want in body, "%r not in body:\n%s" % (want, body))
            h.check(body.index("198.51.100.7") < body.index("Removed"), "added listed first")

            r = hook(smtp.sendmail, env.ALERT_DOC, "alert", ["--to", "noc@example.test"])
            h.check(r.returncode == 0, "alert hook exit %d: %s" % (r.returncode, r.stderr))
            msg = smtp.wait_messages(2)[1]
            h.check("ALERT" in msg["Subject"] and "refused-shrink" in msg["Subject"],
                    "alert subject: %r" % msg["Subject"])
            h.check(msg["X-Envelope-To"] == "noc@example.test", "--to overrides the env")
            body = msg.get_body().get_content()
            h.check("12 of 14 RRsets" in body and "max-shrink" in body, "alert body:\n" + body)
        # The server is stopped now: the hook must fail, clearly and quickly.
        r = hook(smtp.sendmail, env.CHANGE_DOC, "change")
        h.check(r.returncode != 0, "hook succeeded with the SMTP server down")
        lines = r.stderr.strip().splitlines()
        h.check(len(lines) == 1 and lines[0].startswith("notify-email:") and "not sent" in lines[0],
                "stderr with the server down: %r" % r.stderr)
        print("SMTP down: " + lines[0])
    h.ok("change and alert emails delivered through msmtp to aiosmtpd; SMTP down -> exit %d"
         % r.returncode)


if __name__ == "__main__":
    sys.exit(main())
