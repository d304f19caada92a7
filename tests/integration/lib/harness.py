"""Shared helpers for flatsign's integration scenarios (tests/integration/<area>/<scenario>.py).

Scenarios exit 0 on pass, 1 on failure, 77 when skipped (a peer or binary is missing). Binaries
come from $FLATSIGN_BIN (default /work/main/build/bin); peers run on free loopback ports and are
stopped by PID.
"""
import atexit
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PASS, FAIL, SKIP = 0, 1, 77
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.environ.get("FLATSIGN_BIN", os.path.join(REPO, "build", "bin"))


def binary(name):
    """Absolute path of build/bin/<name>; skips the scenario when it was not built."""
    path = os.path.join(BIN, name)
    if not os.access(path, os.X_OK):
        skip("%s not built (FLATSIGN_BIN=%s)" % (name, BIN))
    return path


def peer(name):
    """Absolute path of a peer tool on PATH (or /usr/sbin); skips when it is not installed."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin")
    if path is None:
        skip("%s is not installed (scripts/install-deps)" % name)
    return path


def script(rel):
    """Absolute path of a repository script, e.g. script('scripts/gen-zone')."""
    return os.path.join(REPO, rel)


def skip(why):
    print("SKIP: " + why)
    sys.exit(SKIP)


def fail(why):
    print("FAIL: " + why)
    sys.exit(FAIL)


def ok(what):
    print("PASS: " + what)
    sys.exit(PASS)


def check(cond, why):
    if not cond:
        fail(why)


def run(cmd, timeout=120, check_rc=True, stdout=subprocess.PIPE, **kwargs):
    """Runs `cmd` (a list) with a timeout; returns the CompletedProcess (text mode). A non-zero
    exit fails the scenario unless check_rc is False; a timeout always fails it."""
    try:
        res = subprocess.run(cmd, stdout=stdout, stderr=subprocess.PIPE, text=True,
                             timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired:
        fail("timed out after %ss: %s" % (timeout, " ".join(map(str, cmd))))
    if check_rc and res.returncode != 0:
        fail("exit %d: %s\n%s" % (res.returncode, " ".join(map(str, cmd)), res.stderr[-4000:]))
    return res


class TempDir:
    """A temporary directory removed on exit unless $FLATSIGN_KEEP_TMP is set."""

    def __init__(self, prefix="flatsign-it-"):
        self.path = tempfile.mkdtemp(prefix=prefix)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if os.environ.get("FLATSIGN_KEEP_TMP"):
            print("kept " + self.path)
        else:
            shutil.rmtree(self.path, ignore_errors=True)

    def file(self, name):
        return os.path.join(self.path, name)

    def write(self, name, text):
        path = self.file(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path


def _port_range():
    """Ports for our servers: below the kernel's ephemeral range, so no client socket (dig, a
    peer's outgoing query) is handed one of them between our pick and the server's bind."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(x) for x in f.read().split())
    except (OSError, ValueError):
        low, high = 32768, 60999
    if low - 1024 >= 4096:
        return max(1024, low - 12000), low - 1
    return high + 1, 65535


PORT_DIR = os.path.join(tempfile.gettempdir(), "flatsign-test-ports")
_reserved = []


def _reserve(port):
    """Claims `port` for this process against the other scenarios running at the same time: a
    file named after the port holds our PID; a claim whose process is gone is taken over."""
    path = os.path.join(PORT_DIR, str(port))
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                with open(path) as f:
                    owner = int(f.read() or "0")
            except (OSError, ValueError):
                return False  # being written by its owner right now
            if owner == 0 or owner == os.getpid():
                return False
            try:
                os.kill(owner, 0)
                return False
            except ProcessLookupError:
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass
                continue
            except PermissionError:
                return False
        with os.fdopen(fd, "w") as f:
            f.write(str(os.getpid()))
        _reserved.append(path)
        return True
    return False


@atexit.register
def _release_ports():
    for path in _reserved:
        try:
            os.unlink(path)
        except OSError:
            pass


def _bindable(host, port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        try:
            with socket.socket(family, kind) as s:
                s.bind((host, port))
        except OSError:
            return False
    return True


def unbound_port_avoid():
    """unbound's line that keeps its random outgoing query ports out of our servers' range."""
    low, high = _port_range()
    return "outgoing-port-avoid: %d-%d" % (low, high)


def free_port(kind=socket.SOCK_DGRAM, host="127.0.0.1"):
    """A port free for both UDP and TCP on `host`, reserved for this scenario until it exits.
    Scenarios run in parallel (ctest -j): each port comes from a range no client socket is given
    and is claimed in PORT_DIR, so two scenarios never start servers on the same one. `kind` is
    kept for callers that name the protocol they need; both are checked."""
    del kind
    os.makedirs(PORT_DIR, exist_ok=True)
    low, high = _port_range()
    span = high - low + 1
    first = random.SystemRandom().randrange(span)
    for i in range(span):
        port = low + (first + i) % span
        if _bindable(host, port) and _reserve(port):
            return port
    fail("no free port in %d-%d (claims in %s)" % (low, high, PORT_DIR))


_processes = []


@atexit.register
def _stop_processes():
    """A scenario that fails while starting its servers (before any `with` holds them) still
    stops every process it started: they have sessions of their own, so ctest would not."""
    for p in reversed(_processes):
        p.stop()


class Process:
    """A background process started with its own process group and stopped by PID."""

    def __init__(self, cmd, log_path=None, **kwargs):
        self.cmd = cmd
        self.log_path = log_path
        out = open(log_path, "w") if log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                     start_new_session=True, **kwargs)
        self.pid = self.proc.pid
        _processes.append(self)

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=10):
        """SIGTERM, then SIGKILL after `timeout` seconds; returns the exit code."""
        if self.alive():
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode

    def log(self):
        if not self.log_path or not os.path.exists(self.log_path):
            return ""
        with open(self.log_path) as f:
            return f.read()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def wait_for(cond, timeout=10.0, interval=0.05, what="condition"):
    """Polls cond() until it is true; fails the scenario after `timeout` seconds. `what` may be
    a function, called only then (say, to show a log as it is at the failure)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(interval)
    fail("timed out waiting for " + (what() if callable(what) else what))


def gen_zone(path, names, seed=1, origin="example.com.", extra=()):
    """Writes scripts/gen-zone output to `path`; returns the RR count it reports."""
    res = run([sys.executable, script("scripts/gen-zone"), "--names", str(names), "--seed",
               str(seed), "--origin", origin, "-o", path] + list(extra), timeout=600)
    return int(res.stderr.split(",")[1].split()[0])


def gen_dnssec_zone(path, names, seed=1, origin="example.com."):
    """Writes a zone with every shape DNSSEC signing must handle: wildcards, delegations with glue
    (signed with DS and unsigned), empty non-terminals, CNAMEs, mixed case; returns its path."""
    import random
    rng = random.Random(seed)
    lines = ["$TTL 300",
             "@ 3600 IN SOA ns1.%s hostmaster.%s 1 7200 3600 1209600 600" % (origin, origin),
             "@ 3600 IN NS ns1", "@ 3600 IN NS ns.sub", "@ IN MX 10 mail", "ns1 IN A 192.0.2.1",
             "mail IN A 192.0.2.2", "mail IN AAAA 2001:db8::2", "sub IN NS ns.sub",
             "ns.sub IN A 192.0.2.53"]
    ds = "IN DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    for i in range(names):
        n = "h%d" % i
        kind = rng.randrange(10)
        if kind < 4:
            lines.append("%s IN A 10.%d.%d.%d" % (n, rng.randrange(256), rng.randrange(256),
                                                  rng.randrange(1, 255)))
        elif kind == 4:
            lines.append("*.%s IN TXT \"wildcard %d\"" % (n, i))
            lines.append("*.%s IN A 192.0.2.%d" % (n, rng.randrange(1, 255)))
        elif kind == 5:
            lines.append("%s IN NS ns.%s" % (n, n))
            lines.append("ns.%s IN A 192.0.2.%d" % (n, rng.randrange(1, 255)))
        elif kind == 6:
            lines.append("%s IN NS ns1" % n)
            lines.append("%s %s" % (n, ds))
        elif kind == 7:
            lines.append("a.b.%s IN A 10.0.%d.%d" % (n, rng.randrange(256), rng.randrange(1, 255)))
        elif kind == 8:
            lines.append("%s IN CNAME mail" % n)
        else:
            lines.append("%s IN TXT \"t%d\"" % (n.upper(), i))
            lines.append("%s IN AAAA 2001:db8::%x" % (n.upper(), i))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path
