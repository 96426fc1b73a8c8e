#!/usr/bin/env python3
"""The staff page under load (issue 17): 50 concurrent loads of /temi on the demo store.

Starts `urpmail serve` (release build) on the demo store on a free loopback port, logs in once,
then runs ROUNDS rounds of 50 simultaneous GET /temi (each a full page: the theme table of the
latest year compared with the previous one, built from the store, and its SVG chart), with one
connection per request, from 50 threads of this process. Prints the latency distribution
(time from sending the request to the last byte of the page) and the target: p95 < 200 ms.

    cargo build --release && python3 bench/web.py [--urpmail target/release/urpmail] [--rounds 10]
"""

import argparse
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

CONCURRENT = 50
PASSWORD = "una password lunga"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, headers=None, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r, data


def login(port):
    r, _ = request(port, "GET", "/accesso")
    token = re.search(r"urpmail_accesso=([0-9a-f]+)", r.getheader("set-cookie")).group(1)
    body = f"token={token}&username=maria&password={PASSWORD.replace(' ', '+')}"
    r, _ = request(port, "POST", "/accesso", {
        "Cookie": f"urpmail_accesso={token}",
        "Content-Type": "application/x-www-form-urlencoded",
    }, body)
    assert r.status == 303, r.status
    cookies = r.headers.get_all("set-cookie")
    session = next(c for c in cookies if c.startswith("urpmail_sessione="))
    return session.split(";")[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--urpmail", default="target/release/urpmail")
    ap.add_argument("--rounds", type=int, default=10)
    a = ap.parse_args()
    a.urpmail = os.path.abspath(a.urpmail)
    with tempfile.TemporaryDirectory() as tmp:
        store = os.path.join(tmp, "urpmail.db")
        users = os.path.join(tmp, "utenti")
        subprocess.run([a.urpmail, "-q", "demo", "--store", store], check=True, stdout=subprocess.DEVNULL, cwd=tmp)
        subprocess.run([a.urpmail, "-q", "users", "add", "maria", "--password-stdin", "--file", users],
                       input=PASSWORD + "\n", text=True, check=True)
        port = free_port()
        serve = subprocess.Popen([a.urpmail, "-q", "serve", "--store", store, "--users", users,
                                  "--listen", f"127.0.0.1:{port}"], stderr=subprocess.DEVNULL)
        try:
            for _ in range(200):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.05)
            session = login(port)
            r, page = request(port, "GET", "/temi", {"Cookie": session})
            assert r.status == 200 and b"<svg" in page, r.status
            latencies = []
            lock = threading.Lock()
            for _ in range(a.rounds):
                barrier = threading.Barrier(CONCURRENT)

                def one():
                    barrier.wait()
                    t0 = time.perf_counter()
                    r, data = request(port, "GET", "/temi", {"Cookie": session})
                    dt = time.perf_counter() - t0
                    assert r.status == 200 and b"</html>" in data
                    with lock:
                        latencies.append(dt)

                threads = [threading.Thread(target=one) for _ in range(CONCURRENT)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
        finally:
            serve.terminate()
            serve.wait()
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
    print(f"/temi on the demo store: {len(latencies)} page loads in {a.rounds} rounds of {CONCURRENT} concurrent,"
          f" page {len(page)} bytes; server on {os.cpu_count()} cores")
    print(f"latency ms: p50 {p(0.50):.1f}  p95 {p(0.95):.1f}  p99 {p(0.99):.1f}  max {latencies[-1] * 1000:.1f}"
          f"  mean {statistics.mean(latencies) * 1000:.1f}")
    ok = p(0.95) < 200
    print(f"target p95 < 200 ms: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
