"""flatsign-slave runs deploy/hooks/notify-email as its --on-change and --on-alert hooks against
the scripted fake master, with msmtp delivering to a real SMTP server on loopback: the first
publication, a content change (zone, old -> new serial, the added and removed records) and a
refused shrinking transfer (the verdict) each arrive as an email; with the SMTP server down the
slave logs the failing hook and still publishes the next change."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import deploy_env as env  # noqa: E402
import harness as h  # noqa: E402
import slave_env as senv  # noqa: E402


def main():
    master = senv.FakeMaster()
    with h.TempDir() as tmp:
        smtp = env.SmtpServer(tmp)
        hook = "FLATSIGN_MAIL_TO=ops@example.test %s %s --sendmail '%s'" % (
            env.python3(), env.HOOK, smtp.sendmail)
        state = tmp.file("state")
        os.makedirs(state)
        signed = os.path.join(state, "example.test", "example.test.signed")
        slave = h.Process([h.binary("flatsign-slave"), "--listen", "127.0.0.1:%d" % h.free_port(),
                           "--zone", senv.ZONE, "--master", "127.0.0.1:%d" % master.port,
                           "--state-dir", state, "--poll-interval", "1", "--read-timeout", "1",
                           "--connect-timeout", "1", "--on-change", hook, "--on-alert", hook],
                          log_path=tmp.file("slave.log"))
        try:
            msgs = smtp.wait_messages(1, timeout=20)
            h.check("first publication" in msgs[0]["Subject"], "first: %r" % msgs[0]["Subject"])

            master.zone_text = senv.ZONE_TEXT.replace("192.0.2.1\n", "192.0.2.77\n")
            msg = smtp.wait_messages(2, timeout=20)[1]
            subject, body = msg["Subject"], msg.get_body().get_content()
            h.check("example.test." in subject and "->" in subject and "1 added, 1 removed"
                    in subject, "change subject: %r" % subject)
            added, removed = body.split("Removed")
            h.check("www.example.test.\t3600\tIN\tA\t192.0.2.77" in added, "added:\n" + body)
            h.check("www.example.test.\t3600\tIN\tA\t192.0.2.1" in removed, "removed:\n" + body)

            master.mode = "shrunk"
            msg = smtp.wait_messages(3, timeout=20)[2]
            h.check("ALERT" in msg["Subject"] and "refused-shrink" in msg["Subject"],
                    "alert subject: %r" % msg["Subject"])

            smtp.stop()
            master.mode = "good"
            master.zone_text = senv.ZONE_TEXT.replace("192.0.2.1\n", "192.0.2.88\n")
            h.wait_for(lambda: "192.0.2.88" in open(signed).read(), 20,
                       what="publication with the SMTP server down")
            h.wait_for(lambda: "on-change hook exited" in slave.log(), 30,
                       what="the failing hook in the slave's log\n" + slave.log()[-2000:])
            h.check(slave.alive(), "the slave died")
        finally:
            slave.stop()
            smtp.stop()
            master.stop()
    h.ok("slave hooks -> notify-email -> msmtp -> SMTP: first, change, alert; SMTP down logged")


if __name__ == "__main__":
    sys.exit(main())
