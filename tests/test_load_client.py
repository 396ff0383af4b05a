"""The benchmark's HTTP client: keep-alive with Content-Length, chunked bodies, and a server
that closes the connection (the crash test covers a killed server)."""

import socket
import threading

import pytest

from bench.load_client import Closed, Connection

REQUEST = b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}"


def _serve(answers: list[bytes]) -> tuple[int, threading.Thread]:
    """A server answering each request it reads with the next canned answer; an answer of
    b"" closes the connection instead."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def run():
        with listener:
            conn, _ = listener.accept()
            for answer in answers:
                data = b""
                while not data.endswith(b"{}"):
                    data += conn.recv(4096)
                if not answer:
                    conn.close()
                    conn, _ = listener.accept()
                    continue
                conn.sendall(answer)
            conn.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return port, thread


def test_keep_alive_chunked_and_a_closed_connection():
    port, thread = _serve(
        [
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
            b"HTTP/1.1 503 Busy\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
            b"",
            b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
        ]
    )
    conn = Connection("127.0.0.1", port, timeout=5)
    assert conn.exchange(REQUEST) == (200, b"hello")
    assert conn.exchange(REQUEST) == (503, b"abcde")
    with pytest.raises(Closed):
        conn.exchange(REQUEST)
    conn.close()
    assert conn.exchange(REQUEST) == (201, b"ok")
    assert conn.sock is None  # the server said it closes
    thread.join(5)


def test_what_is_not_http_is_refused():
    port, thread = _serve([b"SSH-2.0-OpenSSH\r\n\r\n"])
    with pytest.raises(Closed):
        Connection("127.0.0.1", port, timeout=5).exchange(REQUEST)
    thread.join(5)
