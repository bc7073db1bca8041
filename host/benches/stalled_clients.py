#!/usr/bin/env python3
"""Stalled clients against a running `plugin-host serve` (stdlib only).

Opens HEADS connections that send half a request head and stall, and BODIES
connections that send a full head announcing 1,048,576 bytes, then 1,000,000
of them, and stall. Meanwhile it polls /healthz twice a second. Prints, per
kind, how many connections the server closed and when (seconds after they
stalled), the answer the body connections got (408 expected), and the
slowest /healthz answer; exits 1 if any connection is still open after
LIMIT seconds or a /healthz poll failed.

  stalled_clients.py ADDR [--heads 400] [--bodies 100] [--limit 45]
"""

import argparse
import asyncio
import sys
import time


async def stall(addr, request, started, closed, answers):
    host, port = addr.rsplit(":", 1)
    try:
        reader, writer = await asyncio.open_connection(host, int(port))
    except OSError as err:
        closed.append(("connect failed", 0.0, str(err)))
        return
    try:
        writer.write(request)
        await writer.drain()
    except OSError:
        pass  # the server may close first; reading tells what it said
    started.append(time.monotonic())
    begin = time.monotonic()
    data = b""
    try:
        while True:
            chunk = await reader.read(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    status = data.split(b"\r\n", 1)[0].decode("latin-1") if data else "(closed, no answer)"
    closed.append(("closed", time.monotonic() - begin, status))
    answers.append(status)
    writer.close()


async def poll_health(addr, stop, slowest, failures):
    host, port = addr.rsplit(":", 1)
    while not stop.is_set():
        begin = time.monotonic()
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, int(port)), 5
            )
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            await writer.drain()
            head = await asyncio.wait_for(reader.read(64), 5)
            writer.close()
            if not head.startswith(b"HTTP/1.1 200"):
                failures.append(head[:40])
        except (OSError, asyncio.TimeoutError) as err:
            failures.append(repr(err))
        slowest[0] = max(slowest[0], time.monotonic() - begin)
        await asyncio.sleep(0.5)


def summary(name, results, count):
    done = [r for r in results if r[0] == "closed"]
    times = sorted(r[1] for r in done)
    statuses = {}
    for r in done:
        statuses[r[2]] = statuses.get(r[2], 0) + 1
    if times:
        print(
            f"{name}: {len(done)}/{count} closed by the server, "
            f"after {times[0]:.1f}-{times[-1]:.1f} s (median {times[len(times) // 2]:.1f} s); "
            f"answers {statuses}"
        )
    else:
        print(f"{name}: 0/{count} closed")
    return len(done) == count


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("addr")
    parser.add_argument("--heads", type=int, default=400)
    parser.add_argument("--bodies", type=int, default=100)
    parser.add_argument("--limit", type=float, default=45.0)
    args = parser.parse_args()

    head = b"POST /plugins/example-checkout/events HTTP/1.1\r\nHost: x\r\nContent-Ty"
    body = (
        b"POST /plugins/example-checkout/events HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/json\r\nContent-Length: 1048576\r\n\r\n"
        + b" " * 1_000_000
    )
    heads, bodies, started = [], [], []
    stop = asyncio.Event()
    slowest, failures = [0.0], []
    health = asyncio.create_task(poll_health(args.addr, stop, slowest, failures))
    tasks = [stall(args.addr, head, started, heads, []) for _ in range(args.heads)]
    tasks += [stall(args.addr, body, started, bodies, []) for _ in range(args.bodies)]
    begin = time.monotonic()
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), args.limit)
    except asyncio.TimeoutError:
        pass
    stop.set()
    await health
    print(f"all stalled after {time.monotonic() - begin:.1f} s of the run")
    ok = summary("stalled heads", heads, args.heads)
    ok = summary("stalled bodies", bodies, args.bodies) and ok
    print(f"/healthz: slowest answer {slowest[0] * 1000:.0f} ms, {len(failures)} failed polls")
    if failures:
        print(f"  first failure: {failures[0]}")
    return 0 if ok and not failures else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
