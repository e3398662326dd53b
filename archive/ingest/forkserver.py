"""The extraction fork server: a lean process from which reusable extraction children fork.

    python -m archive.ingest.forkserver FD

Started by `archive.ingest.forkclient` with FD, its end of a Unix SEQPACKET socket. It loads
the extraction modules and the language model once (about 190 MB, against 270 MB or more for
a worker), freezes the garbage collector's view of them (so children do not dirty shared
pages by collecting), says it is ready, then serves FORK and WAIT requests until the socket
reads end of file; then it kills its children's process groups and exits.

Each child closes every descriptor but the two pipe ends it was sent, and then runs
`children.serve_tasks` exactly as a child forked from the worker did: its own process group,
the memory ceiling, death with its parent (this server).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import signal
import socket
import sys

import archive.ingest.extract  # noqa: F401 - the tasks children run, loaded once here
import archive.ingest.processing  # noqa: F401
import archive.ingest.recognition  # noqa: F401
from archive.ingest.children import serve_tasks
from archive.ingest.forkclient import FORK, REPLY, REQUEST, WAIT
from archive.ingest.forking import close_inherited_fds, set_process_group
from archive.ingest.language import preload


def main(argv: list[str]) -> int:
    """Load, say ready, serve; exit when the worker's end of the socket closes."""
    # Ctrl-C in a terminal reaches the whole foreground group: the worker decides, not us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sock = socket.socket(fileno=int(argv[1]))
    preload()
    gc.collect()
    gc.freeze()
    sock.send(REPLY.pack(os.getpid(), 0, 0.0, 0.0))
    children: set[int] = set()
    try:
        serve(sock, children)
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
    return 0


def serve(sock: socket.socket, children: set[int]) -> None:
    """Answer requests one at a time until end of file."""
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(sock, REQUEST.size, 2)
        except ConnectionResetError:
            return
        if len(message) != REQUEST.size:
            return  # end of file: the worker is gone
        operation, argument = REQUEST.unpack(message)
        if operation == FORK and len(fds) == 2:
            answer = fork_child(argument, (fds[0], fds[1]))
            if answer > 0:
                children.add(answer)
        elif operation == WAIT and argument in children:
            children.discard(argument)
            answer = reap(argument)
        else:
            answer = REPLY.pack(-22, 0, 0.0, 0.0)  # EINVAL: not a request of ours
        for fd in fds:
            os.close(fd)
        sock.send(answer if isinstance(answer, bytes) else REPLY.pack(answer, 0, 0.0, 0.0))


def fork_child(memory_mb: int, fds: tuple[int, int]) -> int:
    """Fork a reusable child serving tasks on `fds`; its pid, or minus the errno."""
    server = os.getpid()
    try:
        pid = os.fork()
    except OSError as exc:
        return -(exc.errno or 12)
    if pid == 0:  # child: never returns
        close_inherited_fds(keep=set(fds))  # the server's socket among them
        serve_tasks(fds[0], fds[1], memory_mb, server)
    set_process_group(pid)
    return pid


def reap(pid: int) -> bytes:
    """Wait for a child; its exit status, peak RSS and CPU as a reply."""
    _, status, usage = os.wait4(pid, 0)
    return REPLY.pack(status, usage.ru_maxrss, usage.ru_utime, usage.ru_stime)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
