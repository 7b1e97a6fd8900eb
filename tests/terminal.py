"""A program under a real terminal (a pty), for the tests of the interactive prompt.

The screen is read into one buffer and :meth:`Terminal.expect` consumes it up to the end of
the marker it waited for, so text that arrived early (the next ``artist> `` printed in the
same write as an answer) is still there for the next ``expect``. Reading each wait into a
fresh buffer lost it, and the test then sat out its whole timeout.
"""

import os
import pty
import select
import subprocess
import time


class Terminal:
    """Run ``argv`` with stdin, stdout and stderr on one pseudo-terminal."""

    def __init__(self, argv, env):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
        os.close(slave)
        self.unread = b""

    def expect(self, marker, timeout=20):
        """The screen up to and including ``marker``; AssertionError if it does not come in time."""
        marker = marker.encode() if isinstance(marker, str) else marker
        deadline = time.monotonic() + timeout
        while marker not in self.unread and time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # the program closed the terminal
                    break
                if not chunk:
                    break
                self.unread += chunk
        head, found, self.unread = self.unread.partition(marker)
        assert found, f"{marker!r} never appeared on the screen; it shows: {head[-300:]!r}"
        return (head + found).decode("utf-8", "replace")

    def type(self, keys):
        os.write(self.master, keys.encode() if isinstance(keys, str) else keys)

    def wait(self, timeout=20):
        return self.proc.wait(timeout=timeout)

    def close(self):
        self.proc.kill()
        self.proc.wait()
        os.close(self.master)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
