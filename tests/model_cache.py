"""The tests' synthetic model folder, kept on disk between pytest sessions when asked to.

Training the session's synthetic model costs 1-3 s, once per pytest session. Mutation
testing (benchmarks/mutation.py) starts a new session for every mutant, so there it cost
most of the time of every mutant of the query and program modules. With
``$ITEM2VEC_TEST_MODEL_CACHE`` naming a folder, :func:`provide` keeps each built folder
there and copies it into the session's temporary folder the next time, under a key made
of everything that decides the folder's bytes:

- the source of every module that can run while it is built: the base modules and the
  ``model``, ``ingest`` and ``training`` packages (the only ones these may import,
  docs/ARCHITECTURE.md) and the synthetic data's module;
- under mutmut, the mutant being tested when it is in one of those modules: mutmut's
  copy of a module holds all its mutants and picks one by ``$MUTANT_UNDER_TEST``, so
  the source alone does not say which code ran;
- the versions of Python and of the libraries that train and write it, the BLAS kernels,
  and what the caller says about its inputs (the configuration, the data set's seed).

Without the variable (the ordinary suite) nothing is kept: every session trains its own.
"""

import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import tempfile

#: The variable naming the cache folder.
ENV = "ITEM2VEC_TEST_MODEL_CACHE"
#: Where the code that builds a model folder may live: the package's base modules, the
#: stages a training run imports, and the synthetic data.
BUILDERS = ("", "model", "ingest", "training", "research/synthetic.py")
#: The distributions whose code trains and writes it (the ``train`` extra and the lean three).
_LIBRARIES = (
    "numpy",
    "gensim",
    "pandas",
    "scipy",
    "anyascii",
    "cutlet",
    "unidic-lite",
    "pykakasi",
    "pypinyin",
    "iuliia",
    "korean-romanizer",
)


def builder_sources(root=None):
    """``{dotted module name: source bytes}`` of every module that can run while a model is built."""
    if root is None:
        import item2vec  # not at the top: conftest imports the trainer first (it pins BLAS kernels)

        root = os.path.dirname(os.path.abspath(item2vec.__file__))
    sources = {}
    for part in BUILDERS:
        path = os.path.join(root, part)
        if path.endswith(".py"):
            files = [path]
        else:
            files = [os.path.join(path, name) for name in sorted(os.listdir(path)) if name.endswith(".py")]
        for file in files:
            relative = os.path.relpath(file, os.path.dirname(root))[: -len(".py")]
            with open(file, "rb") as handle:
                sources[relative.replace(os.sep, ".").removesuffix(".__init__")] = handle.read()
    return sources


def key(inputs, sources=None, environ=None):
    """The cache key of a folder built from ``inputs`` (any JSON value) by the current code."""
    sources = builder_sources() if sources is None else sources
    environ = os.environ if environ is None else environ
    mutant = environ.get("MUTANT_UNDER_TEST", "")
    module = mutant.rpartition(".")[0]
    digest = hashlib.sha256()
    for name, source in sorted(sources.items()):
        digest.update(name.encode() + b"\0" + hashlib.sha256(source).digest())
    versions = {"python": platform.python_version()}
    for library in _LIBRARIES:
        try:
            versions[library] = importlib.metadata.version(library)
        except importlib.metadata.PackageNotFoundError:
            versions[library] = None
    facts = {
        "inputs": inputs,
        "mutant": mutant if module in sources else None,
        "versions": versions,
        "blas": environ.get("OPENBLAS_CORETYPE"),
    }
    digest.update(json.dumps(facts, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:32]


def file_digest(path):
    """A short digest of one file's bytes: a test module whose fixture builds a folder passes
    its own, so that editing how the fixture makes its data is another key."""
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:16]


def provide(out, inputs, build, environ=None):
    """Make the folder ``out``: a copy of the cached build when there is one, else ``build(out)``.

    Parameters
    ----------
    out : str
        The folder to make (it must not exist).
    inputs : JSON value
        Everything besides the code that decides what ``build`` writes.
    build : callable
        ``build(out)`` writes the folder.
    """
    environ = os.environ if environ is None else environ
    cache = environ.get(ENV)
    if not cache:
        build(out)
        return
    kept = os.path.join(cache, key(inputs, environ=environ))
    if os.path.isdir(kept):
        shutil.copytree(kept, out)
        return
    build(out)
    os.makedirs(cache, exist_ok=True)
    # Copied under a temporary name, then renamed: a concurrent session (mutmut's children)
    # sees the whole folder or none, and the first to finish keeps its copy.
    scratch = tempfile.mkdtemp(prefix=".partial-", dir=cache)
    shutil.copytree(out, os.path.join(scratch, "model"))
    try:
        os.rename(os.path.join(scratch, "model"), kept)
    except OSError:
        pass  # another session stored the same key first
    shutil.rmtree(scratch, ignore_errors=True)
