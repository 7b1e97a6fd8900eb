"""A Spark standalone cluster on this machine (a master and N workers on 127.0.0.1), for tests and benchmarks.

Started from the pyspark package itself (``bin/spark-class``
``org.apache.spark.deploy.master.Master`` / ``...worker.Worker``), each process in a session
of its own with its log in the cluster's folder, and stopped by the process ids it started
(never by name): a worker's executors and their Python workers are its descendants, found
in ``/proc`` (:func:`~item2vec.research.process_sampling.descendants`) and ended with it.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

from .process_sampling import cpu_seconds, descendants

__all__ = ["StandaloneCluster", "cpu_seconds", "descendants"]


def free_port():
    """A TCP port nobody listens on now, on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _end(pids, sig):
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


class StandaloneCluster:
    """A master and ``workers`` workers of ``cores`` cores each, on 127.0.0.1.

    Parameters
    ----------
    folder : str
        Logs and the workers' work folders go here.
    workers : int
    cores : int
        Cores each worker offers.
    memory : str
        Memory each worker offers its executors (Spark's notation: ``2g``).
    """

    def __init__(self, folder, workers=2, cores=1, memory="2g"):
        import pyspark

        self.folder = folder
        self.n_workers, self.cores, self.memory = workers, cores, memory
        self.home = os.path.dirname(os.path.abspath(pyspark.__file__))
        self.port, self.ui_port = free_port(), free_port()
        self.url = f"spark://127.0.0.1:{self.port}"
        self.master = None
        self.workers = []

    def _launch(self, name, *args):
        env = {**os.environ, "SPARK_HOME": self.home, "SPARK_LOCAL_IP": "127.0.0.1"}
        with open(os.path.join(self.folder, f"{name}.log"), "ab") as log:
            return subprocess.Popen(
                [os.path.join(self.home, "bin", "spark-class"), *args],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # Ctrl-C in the caller's terminal does not reach it
            )

    def start(self, timeout=180):
        """Start the master and the workers; returns once every worker has registered."""
        os.makedirs(self.folder, exist_ok=True)
        self.master = self._launch(
            "master",
            "org.apache.spark.deploy.master.Master",
            *("--host", "127.0.0.1", "--port", str(self.port), "--webui-port", str(self.ui_port)),
        )
        self.workers = [self._start_worker(i) for i in range(self.n_workers)]
        self.wait_for_workers(self.n_workers, timeout)
        return self

    def _start_worker(self, index):
        work = os.path.join(self.folder, f"worker-{index}")
        os.makedirs(work, exist_ok=True)
        return self._launch(
            f"worker-{index}",
            "org.apache.spark.deploy.worker.Worker",
            self.url,
            *("--host", "127.0.0.1", "--cores", str(self.cores), "--memory", self.memory),
            *("--work-dir", work, "--webui-port", str(free_port())),
        )

    def state(self):
        """The master's JSON status (workers, applications)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.ui_port}/json/", timeout=5) as answer:
            return json.load(answer)

    def wait_for_workers(self, n, timeout=180):
        """Wait until ``n`` workers are alive at the master; RuntimeError with the logs' tail if not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.master.poll() is not None:
                break
            with contextlib.suppress(OSError, ValueError):
                if self.state().get("aliveworkers", 0) >= n:
                    return
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"the standalone cluster did not start; see the logs in {self.folder}")

    def kill_worker(self, index):
        """SIGKILL worker ``index`` and everything it started (its executors, their Python workers):
        a machine lost in the middle of a job."""
        worker = self.workers[index]
        _end([worker.pid, *descendants(worker.pid)], signal.SIGKILL)
        worker.wait()

    def restart_worker(self, index, timeout=180):
        """Start worker ``index`` again (after :meth:`kill_worker`) and wait until all are back."""
        self.workers[index] = self._start_worker(index)
        self.wait_for_workers(self.n_workers, timeout)

    def stop(self):
        """Stop the workers (with their executors) and the master, by their process ids."""
        for process in [*self.workers, self.master]:
            if process is None or process.poll() is not None:
                continue
            family = [process.pid, *descendants(process.pid)]
            _end(family, signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                pass
            _end([process.pid, *descendants(process.pid), *family], signal.SIGKILL)
            process.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
