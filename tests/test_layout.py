"""The package layout holds: the product never imports the research code.

``item2vec/research/`` (evaluation, baselines, EDA, synthetic data) may import
the product; nothing outside it may import the research, so ``pip install .``
without extras never needs its dependencies.
"""

import ast
import os
import pathlib

import item2vec

PACKAGE = pathlib.Path(item2vec.__file__).parent


def research_imports(source, module):
    """Import statements in ``source`` (module ``module``, dotted) that reach item2vec.research."""
    found = []
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [target] + [f"{target}.{alias.name}" for alias in node.names]
        else:
            continue
        if any(n == "item2vec.research" or n.startswith("item2vec.research.") for n in names):
            found.append(node.lineno)
    return found


def product_modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        if "research" not in relative.parts:
            yield path, ".".join(relative.parts)


def test_no_product_module_imports_the_research_package():
    offenders = {
        module: lines
        for path, module in product_modules()
        if (lines := research_imports(path.read_text(encoding="utf-8"), module))
    }
    assert offenders == {}
    assert len(list(product_modules())) >= 15  # the walk really saw the product


def test_the_check_sees_every_spelling_of_such_an_import():
    for source in (
        "from .research import splits",
        "from .research.splits import make_split",
        "import item2vec.research.eda",
        "from item2vec.research import baselines",
        "from . import research",
        "def f():\n    from ..research import eda",
    ):
        module = "item2vec.cli.ask_command" if source.startswith("def") else "item2vec.query.recommender"
        assert research_imports(source, module), source
    assert research_imports("from .arrays import top_k\nimport numpy", "item2vec.query.recommender") == []


def test_real_data_tests_find_the_data_where_readme_puts_it(tmp_path):
    # $ITEM2VEC_DATA first, then data/ of the checkout (README's place), then ../shared/data.
    import subprocess
    import sys

    (tmp_path / "lastfm_user_scrobbles.csv").write_text("user_id,artist_id,scrobbles\n")
    tests = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, ITEM2VEC_DATA=str(tmp_path), PYTHONPATH=os.path.dirname(tests))
    found = subprocess.run(
        [sys.executable, "-c", "import conftest; print(conftest.SHARED_DATA)"],
        cwd=tests,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert found == str(tmp_path)
    import conftest

    assert conftest.DATA_PLACES[-2:] == [
        os.path.join(conftest.REPO, "data"),
        os.path.join(conftest.REPO, "..", "shared", "data"),
    ]
