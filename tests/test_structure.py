"""The package's import structure: no import cycle, no private name taken from another module.

The layers go one way — lang/nodes → questions/ (one module per decision question) → the rest
of the language (lang/: parser, checker) → engine/ (compiler → runtime / codegen; reference) →
policy → tools/ (invariants, policytests, diffing, batch) and testing → cli/ — so a lower
module never imports a higher one, not
even lazily inside a function. And a name starting with ``_`` is its module's
own: what another module needs is public. Both are read from the source with
``ast``; nothing is imported.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import supervisor_rules

PACKAGE = Path(supervisor_rules.__file__).parent


def _modules(root: Path) -> dict[str, Path]:
    """Dotted module name → file, for every module of the package in ``root`` (a package's own
    name stands for its ``__init__.py``)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _resolve(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute name ``from <level dots><target> import …`` refers to, inside ``module``."""
    if not level:
        return target or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def import_graph(root: Path) -> tuple[dict[str, set[str]], list[str]]:
    """(module → the package's modules it imports, anywhere in its code; the private uses found).

    ``from X import Y`` counts as importing ``X.Y`` where that is a module, else ``X``; a private
    use is ``from X import _y`` or ``X._y`` (``X`` bound by an import) with ``X`` another module
    of the package. Dunder names are not private."""
    modules = _modules(root)
    package = root.name
    edges: dict[str, set[str]] = {name: set() for name in modules}
    private: list[str] = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        bound: dict[str, str] = {}  # local name → the module it stands for
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = _resolve(name, path.name == "__init__.py", node.level, node.module)
                if base != package and not base.startswith(package + "."):
                    continue
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    if full in modules:
                        edges[name].add(full)
                        bound[alias.asname or alias.name] = full
                    elif base in modules:
                        edges[name].add(base)
                        if _private(alias.name) and base != name:
                            private.append(f"{name} imports {base}.{alias.name}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in modules:
                        edges[name].add(alias.name)
                        if alias.asname:
                            bound[alias.asname] = alias.name
                        elif "." not in alias.name:
                            bound[alias.name] = alias.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in bound
                    and _private(node.attr) and bound[node.value.id] != name):
                private.append(f"{name} uses {bound[node.value.id]}.{node.attr}")
    return edges, sorted(set(private))


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles: strongly connected components of more than one module (Tarjan's
    algorithm, iterative), except a package together with its own submodules (a package's
    ``__init__`` may import its children, which import their siblings through it)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in edges:
                    continue
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 and not any(all(_within(m, p) for m in component) for p in component):
                    found.append(sorted(component))
    return sorted(found)


def problems(root: Path) -> list[str]:
    """Every cycle and private use in the package at ``root``, one line each."""
    edges, private = import_graph(root)
    return [f"cycle: {' <-> '.join(c)}" for c in cycles(edges)] + [f"private: {p}" for p in private]


def test_no_import_cycle_and_no_private_name_across_modules():
    found = problems(PACKAGE)
    assert not found, "\n".join(found)


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def test_the_check_finds_injected_cycles_and_private_uses(tmp_path):
    root = tmp_path / "pkg"
    _write(root, {
        "__init__.py": "from .low import helper\nfrom . import sub\n",  # a package importing its children
        "low.py": """\
            def helper():
                from . import high  # lazy: still an edge
                return high.value

            def _secret():
                return 1

            __all__ = ["helper"]
            """,
        "high.py": "from .low import helper, _secret\nfrom . import low\nvalue = low._secret() + low.__name__.count('x')\n",
        "sub/__init__.py": "from . import inner\n",
        "sub/inner.py": "from .. import low\nfrom ..sub import __doc__\nimport pkg.high as h\nx = h._hidden\n",
        "alone.py": "import os\nfrom os import _exit\n_own = 1\nprint(_own, os._exit)\n",
    })
    assert problems(root) == [
        "cycle: pkg.high <-> pkg.low",
        "private: pkg.high imports pkg.low._secret",
        "private: pkg.high uses pkg.low._secret",
        "private: pkg.sub.inner uses pkg.high._hidden",
    ]
    edges, _ = import_graph(root)
    assert edges["pkg"] == {"pkg.low", "pkg.sub"}
    assert edges["pkg.sub.inner"] == {"pkg.low", "pkg.sub", "pkg.high"}
    assert edges["pkg.alone"] == set()


def test_a_package_and_its_submodules_are_no_cycle(tmp_path):
    root = tmp_path / "pkg"
    _write(root, {
        "__init__.py": "from .a import f\n",
        "a.py": "from . import b\ndef f():\n    return b.g()\n",
        "b.py": "import pkg\ndef g():\n    return pkg.__name__\n",
    })
    assert problems(root) == []
    _write(root, {"b.py": "from . import a\ndef g():\n    return a.f\n"})
    assert problems(root) == ["cycle: pkg.a <-> pkg.b"]
