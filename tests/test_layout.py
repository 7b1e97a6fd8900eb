"""The floor plan holds: stages import only what docs/ARCHITECTURE.md allows, with no circles.

The rules are read from the table in docs/ARCHITECTURE.md, so the document and the check
cannot drift apart. Every import counts, function-local ones included, in the package, the
launchers and the benchmarks.
"""

import ast
import os
import pathlib
import re
import subprocess
import sys

import pytest

import item2vec

PACKAGE = pathlib.Path(item2vec.__file__).parent
REPO = PACKAGE.parent
ARCHITECTURE = REPO / "docs" / "ARCHITECTURE.md"
LEAN = {"numpy", "rapidfuzz", "anyascii"}


# -- the rules, from the document ---------------------------------------------------------------------


def layer_table(text=None):
    """``{stage: (modules, may_import, third_party)}`` from ARCHITECTURE.md's table."""
    text = ARCHITECTURE.read_text(encoding="utf-8") if text is None else text
    block = text.split("<!-- layers: the test parses this table -->", 1)[1].split("<!-- end layers -->", 1)[0]
    table = {}
    for line in block.strip().splitlines()[2:]:
        stage, modules, allowed, libraries = (cell.strip() for cell in line.strip().strip("|").split("|"))
        table[stage] = (
            re.findall(r"`([^`]+)`", modules),
            set() if allowed.startswith("nothing") else {a.strip() for a in allowed.split(",")},
            libraries,
        )
    return table


def stage_of(module, table):
    """The stage a dotted module name (``item2vec.query.names``, ``ask``, ``benchmarks.tune``) belongs to."""
    if module.startswith("benchmarks."):
        return "benchmarks"
    if module in ("ask", "train_item2vec"):
        return "launchers"
    if module == "item2vec":
        return "face"
    best = None
    for stage, (modules, _, _) in table.items():
        for prefix in modules:
            if (module == prefix or module.startswith(prefix + ".")) and prefix.startswith("item2vec."):
                if best is None or len(prefix) > len(best[1]):
                    best = (stage, prefix)
    return best[0] if best else None


# -- the imports, from the code -----------------------------------------------------------------------


def source_files():
    """(path, dotted module name) of every Python file of the package, the launchers and benchmarks."""
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(REPO).with_suffix("")
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        yield path, ".".join(parts)
    for name in ("ask", "train_item2vec"):
        yield REPO / f"{name}.py", name
    for path in sorted((REPO / "benchmarks").glob("*.py")):
        yield path, f"benchmarks.{path.stem}"


def imports(source, module, is_package=False, known=()):
    """Dotted names ``module`` imports (resolved, with ``from PKG import MODULE`` as the module)."""
    found = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                full = f"{target}.{alias.name}"
                found.add(full if full in known else target)
    return found


def local_graph():
    """``{module: {imported modules of this tree}}`` and each module's third-party imports."""
    files = list(source_files())
    known = {module for _, module in files}
    # The benchmarks import each other by bare name (their folder is the script's sys.path[0]).
    bench = {module.split(".", 1)[1]: module for module in known if module.startswith("benchmarks.")}
    graph, external = {}, {}
    for path, module in files:
        names = imports(path.read_text(encoding="utf-8"), module, path.name == "__init__.py", known)
        if module.startswith("benchmarks."):
            names = {bench.get(n, n) for n in names}
        graph[module] = {n for n in names if n in known and n != module}
        external[module] = {n.split(".")[0] for n in names if n.split(".")[0] not in ("item2vec", *bench)}
        external[module] -= set(sys.stdlib_module_names) | {"__future__"}
    return graph, external


def circles(graph):
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _is_own_package_face(module, target):
    # A package's __init__ may hand on its own submodules' names, and a submodule may be
    # imported through it: neither crosses a stage.
    return module.startswith(target + ".") or target.startswith(module + ".")


# -- the checks ----------------------------------------------------------------------------------------


def test_every_module_belongs_to_a_stage_of_the_document():
    table = layer_table()
    graph, _ = local_graph()
    assert {m for m in graph if stage_of(m, table) is None} == set()
    assert len(graph) >= 60  # the walk really saw the tree


def test_every_import_goes_down_to_a_stage_the_document_allows():
    table = layer_table()
    graph, _ = local_graph()
    offenders = []
    for module, targets in graph.items():
        stage = stage_of(module, table)
        allowed = table[stage][1]
        for target in targets:
            other = stage_of(target, table)
            if other == stage or "any" in allowed or other in allowed or _is_own_package_face(module, target):
                continue
            offenders.append(f"{module} ({stage}) -> {target} ({other})")
    assert offenders == []


def test_third_party_imports_stay_within_each_stage_s_libraries():
    table = layer_table()
    _, external = local_graph()
    offenders = []
    for module, libraries in external.items():
        rule = table[stage_of(module, table)][2]
        allowed = {"any": None, "lean": LEAN}.get(rule, LEAN | {lib.strip() for lib in rule.split(",")})
        if allowed is not None and libraries - allowed:
            offenders.append(f"{module}: {sorted(libraries - allowed)}")
    assert offenders == []


def test_model_and_query_never_reach_pandas_gensim_or_the_training_side():
    # The issue's own words, kept as a direct check beside the table.
    table = layer_table()
    for stage in ("model", "query"):
        assert table[stage][1] <= {"base", "model"}
        assert table[stage][2] == "lean"


def test_the_import_graph_has_no_circle():
    graph, _ = local_graph()
    assert circles(graph) == []


def test_the_checks_see_a_circle_a_wrong_direction_and_a_function_local_import():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    known = {"item2vec.research.baselines", "item2vec.research.methods", "item2vec.cli.ask_command"}
    local = "def f():\n    from .methods import MethodUnavailable\n"
    assert imports(local, "item2vec.research.baselines", known=known) == {"item2vec.research.methods"}
    assert imports("from ..cli import ask_command", "item2vec.explore.page", known=known) == {
        "item2vec.cli.ask_command"
    }
    table = layer_table()
    assert "cli" not in table[stage_of("item2vec.explore.page", table)][1]
    assert "research" not in table[stage_of("item2vec.cli.ask_command", table)][1]


def test_the_product_never_imports_the_research():
    table = layer_table()
    product = [stage for stage in table if stage not in ("research", "benchmarks")]
    for stage in product:
        assert "research" not in table[stage][1] and "any" not in table[stage][1], stage


def test_nothing_patches_sys_path():
    offenders = []
    for folder in ("item2vec", "benchmarks", "tests"):
        for path in (REPO / folder).rglob("*.py"):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if re.search(r"sys\.path\.(insert|append|extend)|sys\.path\s*=|sys\.path\s*\+=", line):
                    offenders.append(f"{path.relative_to(REPO)}:{number}")
    # This file names the pattern it looks for.
    assert offenders == [], offenders


def _int_constant(node):
    return isinstance(node, ast.Constant) and type(node.value) is int


def literal_exit_codes(source):
    """Lines of ``return <int>`` in a main or exit-code helper, and of ``sys.exit(<int>)``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.name == "main" or "exit code" in (ast.get_docstring(node) or ""):
                found += [
                    r.lineno for r in ast.walk(node) if isinstance(r, ast.Return) and _int_constant(r.value)
                ]
        elif isinstance(node, ast.Call) and ast.unparse(node.func) == "sys.exit" and node.args:
            if _int_constant(node.args[0]):
                found.append(node.lineno)
    return found


def test_every_program_returns_the_exit_code_enum():
    # One place per rule: what 2 or 130 means is said once, in item2vec.errors.ExitCode.
    offenders = [
        f"{path.relative_to(REPO)}:{line}"
        for path, _ in source_files()
        for line in literal_exit_codes(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
    sample = 'def main():\n    """Run."""\n    return 2\n\ndef run():\n    sys.exit(0)\n'
    assert literal_exit_codes(sample) == [3, 6]


def test_file_names_are_unique_in_the_tree():
    tracked = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=REPO, capture_output=True, text=True, check=False
    ).stdout.split()
    if not tracked:
        pytest.skip("not a git checkout")
    seen = {}
    for name in tracked:
        base = os.path.basename(name)
        if base not in ("__init__.py", "__main__.py"):
            seen.setdefault(base, []).append(name)
    assert {b: paths for b, paths in seen.items() if len(paths) > 1} == {}


def test_every_package_lists_its_public_names():
    import importlib

    for init in sorted(PACKAGE.rglob("__init__.py")):
        name = ".".join(init.parent.relative_to(REPO).parts)
        module = importlib.import_module(name)
        assert isinstance(getattr(module, "__all__", None), list | tuple), name
        for public in module.__all__:
            assert getattr(module, public) is not None, f"{name}.{public}"


def test_real_data_tests_find_the_data_where_readme_puts_it(tmp_path):
    # $ITEM2VEC_DATA first, then data/ of the checkout (README's place), then ../shared/data.
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
