"""Which OpenBLAS kernels training runs on, so that one seed gives the same bytes on every x86-64 CPU.

gensim's inner loop calls scipy's OpenBLAS (dot products and updates of short vectors), and
OpenBLAS picks its kernels by CPU when the library loads, reading ``OPENBLAS_CORETYPE``
once, then. Kernels round differently, so the same seed gives other vectors on another
CPU. Haswell kernels (AVX2 + FMA) run on every x86-64 CPU since 2013 and built the shipped
model, so training asks for them unless the user chose (:func:`pin_kernels`).

Nothing happens at import time, so no import order matters: the trainer pins when it is
asked to train, and trains in its own process only when :func:`kernels_ready` says this
process's scipy BLAS has (or will load with) the pinned kernels. When something loaded
scipy's BLAS before the pin could act, the trainer trains in a fresh process instead, whose
environment carries the pin from its start (:mod:`.trainer`).
"""

import contextlib
import logging
import os
import platform

logger = logging.getLogger(__name__)

__all__ = ["BLAS_CORETYPE", "kernels_ready", "loaded_kernels", "pin_kernels", "wanted_kernels"]

#: The kernels training asks OpenBLAS for on x86-64 CPUs with AVX2 and FMA.
BLAS_CORETYPE = "Haswell"


def _cpu_flags():
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            return set(next((line.split(":", 1)[1].split() for line in info if line.startswith("flags")), []))
    return set()


def wanted_kernels():
    """The kernel type training should run on: the user's ``OPENBLAS_CORETYPE``, else
    :data:`BLAS_CORETYPE` on an x86-64 CPU with AVX2 and FMA, else ``None`` (the CPU's own)."""
    chosen = os.environ.get("OPENBLAS_CORETYPE")
    if chosen:
        return chosen
    if platform.machine().lower() in ("x86_64", "amd64") and {"avx2", "fma"} <= _cpu_flags():
        return BLAS_CORETYPE
    return None


def pin_kernels():
    """Set ``OPENBLAS_CORETYPE`` to :func:`wanted_kernels` unless the user has set it; returns it.

    Every process started from now on inherits the variable, and this process's scipy BLAS
    reads it if it is not loaded yet. Returns ``None`` when the CPU's own kernels are wanted.
    """
    kernels = wanted_kernels()
    if kernels and not os.environ.get("OPENBLAS_CORETYPE"):
        os.environ["OPENBLAS_CORETYPE"] = kernels
    return kernels


def _numpy_own(path):
    # numpy ships its own OpenBLAS (numpy.libs, numpy/.dylibs); gensim's loop calls scipy's.
    return f"{os.sep}numpy" in os.path.dirname(path)


def loaded_kernels():
    """The kernel types of the OpenBLAS libraries scipy can call that this process has loaded.

    Empty when scipy's BLAS is not loaded yet (or is not OpenBLAS). A library shared by
    numpy and scipy (a conda install) counts as scipy's.
    """
    from threadpoolctl import threadpool_info

    return [
        str(info.get("architecture") or "")
        for info in threadpool_info()
        if info.get("internal_api") == "openblas" and not _numpy_own(str(info.get("filepath", "")))
    ]


def kernels_ready():
    """:func:`pin_kernels`, then whether training in this process runs on the pinned kernels.

    True when no particular kernels are wanted, when scipy's BLAS is not loaded yet (it will
    read the pinned variable when it loads), or when it is loaded with the wanted kernels.
    False when an import made before the pin loaded it with others; the trainer then
    trains in a fresh process.
    """
    wanted = pin_kernels()
    if not wanted:
        return True
    loaded = loaded_kernels()
    ready = all(kernels.lower() == wanted.lower() for kernels in loaded)
    if not ready:
        logger.debug("scipy's OpenBLAS runs %s kernels, training wants %s", ", ".join(loaded), wanted)
    return ready
