"""A small HTTP/1.1 load generator on asyncio: one request per connection (gunicorn's sync workers close
after each response), closed-loop for throughput and open-loop at a fixed rate for latency."""

from __future__ import annotations

import asyncio
import itertools
import random
import statistics
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass


@dataclass
class Result:
    label: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    statuses: dict[int, int]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else float("nan")

    def line(self) -> str:
        return (
            f"{self.label:<34} {self.rps:8.1f} req/s  n={self.requests:<6} errors={self.errors:<4} "
            f"p50={self.pct(0.50):6.1f} ms  p99={self.pct(0.99):6.1f} ms  "
            f"mean={statistics.fmean(self.latencies_ms) if self.latencies_ms else 0:6.1f} ms  statuses={self.statuses}"
        )


async def _one(host: str, port: int, request: bytes) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request)
        await writer.drain()
        data = await reader.read()  # Connection: close -> read to EOF
    finally:
        writer.close()
    return int(data[9:12]) if data.startswith(b"HTTP/1.") else 0


def build_request(path: str, body: bytes, headers: dict[str, str], host: str, port: int) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Connection: close",
        f"Content-Length: {len(body)}",
    ]
    lines += [
        f"{k}: {v}" for k, v in headers.items() if k.lower() not in {"content-length", "host", "connection"}
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def closed_loop(
    label: str,
    host: str,
    port: int,
    requests: Iterator[bytes],
    *,
    concurrency: int,
    seconds: float,
    think: float = 0.0,
) -> Result:
    """``concurrency`` users, each sending its next request when the last one answered, after ``think``
    seconds (jittered +-50%, so users do not march in step) of reading the page; 0 = back to back."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal errors
        if think:  # people arrive over the first think time, not all in the same millisecond
            await asyncio.sleep(random.uniform(0, think))
        while time.perf_counter() < deadline:
            request = next(requests)
            start = time.perf_counter()
            try:
                status = await _one(host, port, request)
            except OSError:
                errors += 1
                continue
            latencies.append((time.perf_counter() - start) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
            if status != 200:
                errors += 1
            if think:
                await asyncio.sleep(think * random.uniform(0.5, 1.5))

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return Result(label, len(latencies), errors, time.perf_counter() - started, latencies, statuses)


async def open_loop(label: str, host: str, port: int, requests: Sequence[bytes], *, rate: float) -> Result:
    """Send at a fixed rate regardless of answers; latency counts from the scheduled send time, so a
    stalled server is not hidden (no coordinated omission)."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    start = time.perf_counter()

    async def fire(i: int, request: bytes) -> None:
        nonlocal errors
        scheduled = start + i / rate
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        try:
            status = await _one(host, port, request)
        except OSError:
            errors += 1
            return
        latencies.append((time.perf_counter() - scheduled) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
        if status != 200:
            errors += 1

    await asyncio.gather(*(fire(i, r) for i, r in enumerate(requests)))
    return Result(label, len(latencies), errors, len(requests) / rate, latencies, statuses)


def cycle(requests: Sequence[bytes]) -> Iterator[bytes]:
    return itertools.cycle(requests)
