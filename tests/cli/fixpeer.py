#!/usr/bin/env python3
"""fixpeer.py -- a FIX counterparty for tests/cli/fixsession.bats.

It speaks raw FIX over TCP (BodyLength and CheckSum computed here, never
by fixutil) to a fixsession acceptor on 127.0.0.1, plays one scenario and
exits 0 when the acceptor behaved, or 1 with a "fixpeer: " line on stderr
saying what went wrong.  Every message it sends or receives is written to
stdout as "out ..." or "in ..." with | for SOH (flooded orders excepted),
and the scenario's checkpoints as plain lines, flushed at once, so that the
test can follow a peer that runs in the background.

While it waits for something, the peer answers the acceptor as a FIX
session must: a TestRequest with a Heartbeat, a ResendRequest with a
SequenceReset-GapFill.  A Reject or a Logout it did not expect is a
failure.  Passwords are read from a file, never from the command line.

    fixpeer.py -p PORT -s SENDER [-t TARGET] SCENARIO [options]

Scenarios:
  logon     log on (-u user, -P pwfile, --reset), expect the Logon answer
            (--expect ok) or a Logout with a Text and the connection
            closed (--expect refused); with --logout, log out after
  hold      log on, then until --stop FILE exists: a TestRequest (each
            answered with its TestReqID: "hb N" lines) and an order
            ("sent 11=ID") every 50 ms; orders the acceptor sends are
            printed as "app 11=ID"; then log out
  badinput  log on, then garbled and bad messages (--cases: which),
            each followed by a TestRequest that must be answered
            (--watch: the output of a hold peer that must keep answering
            too), then an order 11=AFTERBAD
  trickle   log on, send one order a byte at a time over --seconds
  idle      connect, send nothing, print how long until disconnected
  flood     log on, send --count orders as fast as possible (--watch: a
            hold peer that must answer in the middle of it)
"""

import argparse
import os
import re
import socket
import sys
import time

SOH = b"\x01"


class Fail(Exception):
    pass


class Closed(Exception):
    pass


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def readable(raw):
    """SOH as |, and Password (554) starred, as fixsession does."""
    s = raw.replace(SOH, b"|").decode("latin-1")
    return re.sub(r"\|554=[^|]*", "|554=****", s)


def checksum(b):
    return b"%03d" % (sum(b) % 256)


def wire(begin, body):
    """A message around body (fields from 35 on, SOH-terminated)."""
    m = b"8=" + begin + SOH + b"9=%d" % len(body) + SOH + body
    return m + b"10=" + checksum(m) + SOH


def fields(raw):
    out = []
    for f in raw.split(SOH):
        if f:
            t, _, v = f.partition(b"=")
            out.append((t.decode("latin-1"), v.decode("latin-1")))
    return out


def utc_now():
    t = time.time()
    return time.strftime("%Y%m%d-%H:%M:%S", time.gmtime(t)) + \
        ".%03d" % (int(t * 1000) % 1000)


class Msg:
    def __init__(self, raw):
        self.raw = raw
        self.f = fields(raw)

    def get(self, tag, default=None):
        for t, v in self.f:
            if t == str(tag):
                return v
        return default

    @property
    def type(self):
        return self.get(35)


def count_lines(path, prefix):
    try:
        with open(path, "r", errors="replace") as fh:
            return sum(1 for ln in fh if ln.startswith(prefix))
    except FileNotFoundError:
        return 0


class Peer:
    def __init__(self, a):
        self.a = a
        self.begin = a.begin.encode()
        self.sender = a.sender
        self.target = a.target
        self.out = a.seq
        self.sock = None
        self.rbuf = b""
        self.quiet = False
        self.allow_reject = False
        self.rejects = []
        self.apps = []

    # ---- transport ----------------------------------------------------

    def connect(self):
        self.sock = socket.create_connection(("127.0.0.1", self.a.port),
                                             timeout=5)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def sendraw(self, b):
        self.sock.sendall(b)

    def body(self, msgtype, flds, seq, possdup=False):
        b = "35=%s\x0149=%s\x0156=%s\x0134=%d\x01" % (
            msgtype, self.sender, self.target, seq)
        if possdup:
            b += "43=Y\x01"
        b += "52=%s\x01" % utc_now()
        if possdup:
            b += "122=%s\x01" % utc_now()
        for t, v in flds:
            b += "%s=%s\x01" % (t, v)
        return b.encode("latin-1")

    def build(self, msgtype, flds=(), seq=None, possdup=False):
        if seq is None:
            seq = self.out
            self.out += 1
        return wire(self.begin, self.body(msgtype, flds, seq, possdup))

    def send(self, msgtype, flds=(), seq=None, possdup=False):
        m = self.build(msgtype, flds, seq, possdup)
        if not self.quiet:
            say("out " + readable(m))
        self.sendraw(m)
        return m

    def frame(self):
        """One whole message from rbuf, or None."""
        i = self.rbuf.find(b"8=")
        if i < 0:
            return None
        b = self.rbuf[i:]
        j = b.find(SOH + b"9=")
        if j < 0:
            return None
        k = b.find(SOH, j + 3)
        if k < 0:
            return None
        try:
            n = int(b[j + 3:k])
        except ValueError:
            raise Fail("acceptor sent a bad BodyLength: %r" % b[:80])
        end = k + 1 + n + 7
        if len(b) < end:
            return None
        m = b[:end]
        if not m.endswith(SOH) or m[-7:-4] != b"10=":
            raise Fail("acceptor sent a badly framed message: %r" % m)
        if m[-4:-1] != checksum(m[:-7]):
            raise Fail("acceptor sent a bad CheckSum: %s" % readable(m))
        self.rbuf = self.rbuf[i + end:]
        return Msg(m)

    def next(self, deadline):
        """The next message, or None at deadline; Closed at EOF."""
        while True:
            m = self.frame()
            if m is not None:
                say("in " + readable(m.raw))
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(min(left, 1.0))
            try:
                d = self.sock.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                d = b""
            if not d:
                raise Closed()
            self.rbuf += d

    # ---- session --------------------------------------------------------

    def answer(self, m):
        """Answer what a session must; False when m is unexpected."""
        t = m.type
        if t == "1":
            self.send("0", [("112", m.get(112, ""))])
        elif t == "2":
            # Nothing of ours needs resending: fill what was asked.
            b, e = int(m.get(7, "0")), int(m.get(16, "0"))
            nx = self.out if e == 0 or e >= self.out else e + 1
            self.send("4", [("123", "Y"), ("36", nx)], seq=b,
                      possdup=True)
        elif t == "3":
            self.rejects.append(m)
            if not self.allow_reject:
                raise Fail("unexpected Reject: " + readable(m.raw))
        elif t == "5":
            raise Fail("unexpected Logout: %s" % m.get(58, "(no Text)"))
        elif t == "A":
            raise Fail("unexpected Logon: " + readable(m.raw))
        elif t not in ("0", "4"):
            self.apps.append(m)
            say("app 11=%s" % m.get(11, "?"))

    def expect(self, what, pred, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            try:
                m = self.next(deadline)
            except Closed:
                raise Fail("connection closed waiting for " + what)
            if m is None:
                raise Fail("timed out after %d s waiting for %s" %
                           (timeout, what))
            if pred(m):
                return m
            self.answer(m)

    def expect_close(self, what, timeout=20):
        """Messages until the acceptor closes the connection."""
        got = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                m = self.next(deadline)
            except Closed:
                say("closed")
                return got
            if m is None:
                raise Fail("timed out after %d s waiting for %s" %
                           (timeout, what))
            got.append(m)

    def logon(self, user=None, pw=None, reset=False):
        f = [("98", "0"), ("108", "30")]
        if reset:
            f.append(("141", "Y"))
            self.out = 1
        if user is not None:
            f.append(("553", user))
        if pw is not None:
            f.append(("554", pw))
        self.send("A", f)

    def logged_on(self):
        self.expect("the Logon answer", lambda m: m.type == "A")
        say("logged on")

    def ping(self, rid, timeout=20):
        """A TestRequest, answered by a Heartbeat with its TestReqID."""
        self.send("1", [("112", rid)])
        self.expect("a Heartbeat with 112=" + rid,
                    lambda m: m.type == "0" and m.get(112) == rid, timeout)

    def logout(self):
        self.send("5", [("58", "fixpeer done")])
        got = self.expect_close("the Logout answer")
        if not any(m.type == "5" for m in got):
            raise Fail("closed without answering the Logout")
        say("logged out")


def order(cid, text=None):
    f = [("11", cid), ("21", "1"), ("55", "IBM"), ("54", "1"),
         ("60", utc_now()), ("38", "100"), ("40", "2"), ("44", "10.5")]
    if text is not None:
        f.append(("58", text))
    return f


def read_password(path):
    if path is None:
        return None
    with open(path, "r") as fh:
        return fh.readline().rstrip("\n")


# ---- scenarios ---------------------------------------------------------------

def sc_logon(p, a):
    p.connect()
    p.logon(a.user, read_password(a.password_file), a.reset)
    if a.expect == "ok":
        p.logged_on()
        if a.logout:
            p.logout()
        return
    got = p.expect_close("a Logout and a disconnect")
    for m in got:
        if m.type == "A":
            raise Fail("Logon accepted, expected a refusal")
    lo = [m for m in got if m.type == "5"]
    if not lo:
        raise Fail("disconnected without a Logout")
    if not lo[0].get(58):
        raise Fail("Logout without a Text (58)")
    say("refused: " + lo[0].get(58))


def sc_hold(p, a):
    p.connect()
    p.logon(reset=a.reset)
    p.logged_on()
    n = 0
    while not os.path.exists(a.stop):
        n += 1
        p.ping("%s-%d" % (p.sender, n), timeout=30)
        say("hb %d" % n)
        cid = "%s-%d" % (p.sender, n)
        p.send("D", order(cid))
        say("sent 11=" + cid)
        # Take what came in meanwhile (the acceptor's orders).
        drain(p, 0.05)
    p.logout()


def drain(p, secs):
    """Answer and record whatever arrives within secs."""
    deadline = time.monotonic() + secs
    while True:
        try:
            m = p.next(deadline)
        except Closed:
            raise Fail("connection closed")
        if m is None:
            return
        p.answer(m)


class Watch:
    """The "hb" lines of a hold peer's output must keep growing."""

    def __init__(self, path):
        self.path = path

    def mark(self):
        self.n = count_lines(self.path, "hb ") if self.path else 0

    def grew(self, by, what, timeout=30):
        if not self.path:
            return
        deadline = time.monotonic() + timeout
        while count_lines(self.path, "hb ") < self.n + by:
            if time.monotonic() > deadline:
                raise Fail("the other session stopped answering "
                           "TestRequests " + what)
            time.sleep(0.02)
        say("other session answered %s" % what)


CASES = ["checksum", "junk", "bodylength", "msgtype", "toobig", "truncated"]


def sc_badinput(p, a):
    w = Watch(a.watch)
    cases = a.cases.split(",")
    for c in cases:
        if c not in CASES:
            raise Fail("no such case: " + c)
    p.connect()
    p.logon()
    p.logged_on()

    def after(name):
        """The session is still up, and so is the other one."""
        p.ping("after-" + name, timeout=5)
        w.grew(2, "after " + name)
        say("case %s: ok" % name)

    for c in cases:
        w.mark()
        globals()["bad_" + c](p)
        after(c)

    # And a good order, to be delivered.
    p.send("D", order("AFTERBAD"))
    p.ping("end")
    p.logout()


def bad_checksum(p):
    """A wrong CheckSum: garbled, ignored, its number not used."""
    m = bytearray(p.build("D", order("BADSUM"), seq=p.out))
    m[-4:-1] = b"%03d" % ((int(m[-4:-1]) + 1) % 256)
    say("out(bad checksum) " + readable(bytes(m)))
    p.sendraw(bytes(m))


def bad_junk(p):
    """Binary junk, with and without FIX-looking pieces in it."""
    junk = bytes((i * 37 + 11) % 256 for i in range(4096))
    junk = junk.replace(b"8=", b"8-")
    junk += b"8=FIX\x00\xff\x019=\x01=\x01\x01\x01" + junk[:512]
    say("out(junk) %d bytes" % len(junk))
    p.sendraw(junk)


def bad_bodylength(p):
    """A huge BodyLength."""
    b = p.body("D", order("HUGELEN"), p.out)
    m = b"8=" + p.begin + b"\x019=999999999\x01" + b
    m += b"10=" + checksum(m) + SOH
    say("out(huge BodyLength) " + readable(m))
    p.sendraw(m)


def bad_msgtype(p):
    """
    No MsgType (35): garbled for FIX (its third field must be 35), or
    rejected as a required field missing; either way the session goes
    on.  Whether its number was used or not, a SequenceReset (reset
    mode, whose own MsgSeqNum is not checked) makes the next expected
    number the one after it.
    """
    b = p.body("D", order("NOTYPE"), p.out)
    b = b[b.index(SOH) + 1:]
    m = wire(p.begin, b)
    say("out(no MsgType) " + readable(m))
    p.sendraw(m)
    p.send("4", [("36", p.out + 1)], seq=p.out)
    p.out += 1
    p.allow_reject = True
    p.ping("msgtype", timeout=5)
    p.allow_reject = False
    for r in p.rejects:
        if r.get(373) != "1" or r.get(371) != "35":
            raise Fail("Reject for a missing MsgType without 371=35 "
                       "373=1: " + readable(r.raw))
    say("missing MsgType: %s" % ("rejected" if p.rejects else "ignored"))


def bad_toobig(p):
    """Larger than the acceptor's limit (4 MiB): a whole, framed message
    with a 5 MB Text."""
    m = p.build("D", order("TOOBIG", "y" * 5000000), seq=p.out)
    say("out(too big) %d bytes, 9=%s" % (len(m), Msg(m[:40]).get(9)))
    p.sendraw(m)


def bad_truncated(p):
    """A truncated message: the first 50 bytes of a 300-byte order, and
    the whole messages after it."""
    m = p.build("D", order("TRUNC", "x" * 150), seq=p.out)
    say("out(truncated) " + readable(m[:50]))
    p.sendraw(m[:50])


def sc_trickle(p, a):
    p.connect()
    p.logon()
    p.logged_on()
    m = p.build("D", order("TRICKLE"))
    say("trickle " + readable(m))
    gap = a.seconds / len(m)
    for i in range(len(m)):
        p.sendraw(m[i:i + 1])
        time.sleep(gap)
    p.ping("trickled")
    p.logout()


def sc_idle(p, a):
    t0 = time.monotonic()
    p.connect()
    try:
        while True:
            d = p.sock.recv(4096)
            if not d:
                break
            say("in " + readable(d))
    except socket.timeout:
        raise Fail("still connected after 5 s without a Logon")
    except ConnectionResetError:
        pass
    say("closed after %.2f s" % (time.monotonic() - t0))


def sc_flood(p, a):
    w = Watch(a.watch)
    p.connect()
    p.logon()
    p.logged_on()
    half = a.count // 2
    p.quiet = True
    batch = b"".join(p.build("D", order("F%d" % i))
                     for i in range(1, half + 1))
    w.mark()
    say("flooding %d orders" % a.count)
    p.sendraw(batch)
    # In the middle of the flood: the other session answers.
    w.grew(1, "during the flood")
    batch = b"".join(p.build("D", order("F%d" % i))
                     for i in range(half + 1, a.count + 1))
    p.sendraw(batch)
    say("sent %d orders" % a.count)
    p.quiet = False
    p.ping("flood-end", timeout=60)
    p.logout()


def main():
    ap = argparse.ArgumentParser(description="a FIX peer for the tests")
    ap.add_argument("-p", "--port", type=int, required=True)
    ap.add_argument("-b", "--begin", default="FIX.4.4")
    ap.add_argument("-s", "--sender", required=True)
    ap.add_argument("-t", "--target", default="EXEC")
    ap.add_argument("--seq", type=int, default=1,
                    help="the first MsgSeqNum to send")
    ap.add_argument("scenario", choices=["logon", "hold", "badinput",
                                         "trickle", "idle", "flood"])
    ap.add_argument("-u", "--user")
    ap.add_argument("-P", "--password-file")
    ap.add_argument("--reset", action="store_true",
                    help="ResetSeqNumFlag in the Logon")
    ap.add_argument("--expect", choices=["ok", "refused"], default="ok")
    ap.add_argument("--logout", action="store_true")
    ap.add_argument("--stop")
    ap.add_argument("--watch")
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--count", type=int, default=20000)
    ap.add_argument("--cases", default=",".join(CASES),
                    help="badinput: the cases to play, comma-separated")
    a = ap.parse_args()
    if a.scenario == "hold" and not a.stop:
        ap.error("hold needs --stop FILE")
    p = Peer(a)
    try:
        globals()["sc_" + a.scenario](p, a)
    except Fail as e:
        print("fixpeer: %s: %s" % (a.sender, e), file=sys.stderr)
        return 1
    except (OSError, Closed) as e:
        print("fixpeer: %s: %s" % (a.sender, str(e) or
                                   "connection closed"), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
