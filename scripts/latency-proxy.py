#!/usr/bin/env python3
"""A loopback TCP proxy that puts a gateway "far away", for scripts/bench.sh (`tc netem` is not
available here): every byte is delayed DELAY_MS in each direction, and a new connection costs
one round trip before its first byte arrives, as a TCP handshake would.

    latency-proxy.py UPSTREAM_HOST UPSTREAM_PORT DELAY_MS [CERT_PEM KEY_PEM]

With CERT_PEM and KEY_PEM the gateway is served over HTTPS: a TLS terminator in this process
(Python's OpenSSL, TLS 1.2 or 1.3, as a load balancer in front of a gateway would be) speaks
plain HTTP to UPSTREAM, and the delay sits in front of it, on the encrypted bytes, so the TLS
handshake pays its round trips too.

Listens on 127.0.0.1 on a free port, prints that port on the first line of stdout, and serves
until killed. Only for the benchmark; the bench kills it at the end.

The client's connect() returns at once (the proxy accepts locally), so the handshake's round
trip is charged to the first bytes the client sends: they reach the server 2*DELAY after the
accept plus DELAY, as if connect() had taken a round trip. Later bytes are delayed DELAY from
when they arrive (a stream keeps its order: delivery times only grow).
"""

import asyncio
import ssl
import sys
import time

CHUNK = 65536
MAX_CONNECTIONS = 256  # the bench opens a few dozen; bounded all the same


async def pump(reader, writer, delay, not_before):
    """Copy reader to writer, each chunk delivered `delay` after it arrived (and not before
    `not_before`), without one chunk's wait holding up the reading of the next."""
    queue = asyncio.Queue()

    async def read():
        try:
            while True:
                data = await reader.read(CHUNK)
                at = max(time.monotonic(), not_before) + delay
                await queue.put((at, data))
                if not data:
                    return
        except (ConnectionError, OSError):
            await queue.put((time.monotonic(), b""))

    async def write():
        try:
            while True:
                at, data = await queue.get()
                wait = at - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            return

    await asyncio.gather(read(), write())


def relay(host, port, delay, open_connections):
    """A connection handler: connect to host:port and pump both ways, delayed by `delay`."""

    async def serve(client_reader, client_writer):
        if open_connections[0] >= MAX_CONNECTIONS:
            client_writer.close()
            return
        open_connections[0] += 1
        accepted = time.monotonic()
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(host, port)
        except OSError:
            client_writer.close()
            open_connections[0] -= 1
            return
        handshake_done = accepted + 2 * delay
        try:
            await asyncio.gather(
                pump(client_reader, upstream_writer, delay, handshake_done if delay else 0),
                pump(upstream_reader, client_writer, delay, 0),
            )
        finally:
            for w in (client_writer, upstream_writer):
                w.close()
            open_connections[0] -= 1

    return serve


async def main():
    host, port, delay_ms = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    open_connections = [0]
    servers = []
    if len(sys.argv) == 6:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(sys.argv[4], sys.argv[5])
        terminator = await asyncio.start_server(
            relay(host, port, 0, open_connections), "127.0.0.1", 0, ssl=tls
        )
        servers.append(terminator)
        host, port = "127.0.0.1", terminator.sockets[0].getsockname()[1]
    server = await asyncio.start_server(
        relay(host, port, delay_ms / 1000, open_connections), "127.0.0.1", 0
    )
    servers.append(server)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    asyncio.run(main())
