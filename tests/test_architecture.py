"""The rules that keep the parts independent (docs/architecture.md), checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("retrieval", "prompts", "bot", "testing", "bench")
MAX_LINES = 400


def imports(path: Path) -> set[str]:
    """Top-level names of everything the module imports (also inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def local_imports(path: Path, package: str) -> set[str]:
    """Modules of the same package this one imports, relative or absolute, at any depth of the
    file (TYPE_CHECKING imports count: a circle of types is a circle a reader must follow)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                out.add(node.module.split(".")[0])
            elif node.level == 1:
                out.update(a.name for a in node.names)
            elif node.level == 0 and node.module and node.module.startswith(package + "."):
                out.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith(package + "."):
                    out.add(a.name.split(".")[1])
    return out - {path.stem}


def modules(*packages: str) -> list[Path]:
    return [p for pkg in packages for p in sorted((ROOT / pkg).rglob("*.py"))]


def test_only_bot_imports_telegram() -> None:
    offenders = [
        p for p in modules("retrieval", "prompts", "testing", "bench") if "telegram" in imports(p)
    ]
    assert not offenders


def test_only_the_store_imports_chromadb() -> None:
    offenders = [p.name for p in modules("retrieval", "prompts", "bot") if "chromadb" in imports(p)]
    assert offenders == ["store.py"]


def test_only_embedder_and_llm_import_openai() -> None:
    offenders = {p.name for p in modules("retrieval", "prompts", "bot") if "openai" in imports(p)}
    assert offenders <= {"embed.py", "llm.py"}


def test_the_product_never_imports_tests_and_benchmarks_only_testing() -> None:
    product = [
        p
        for p in modules("retrieval", "prompts", "bot")
        if imports(p) & {"tests", "bench", "testing"}
    ]
    bench = [p for p in modules("bench", "testing") if "tests" in imports(p)]
    assert not product and not bench


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_circle(package: str) -> None:
    graph = {p.stem: local_imports(p, package) for p in (ROOT / package).glob("*.py")}
    graph = {m: {d for d in deps if d in graph} for m, deps in graph.items()}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                return [*path[path.index(d) :], d]
            if d not in state and (cycle := visit(d)):
                return cycle
        path.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state:
            cycle = visit(m)
            assert cycle is None, " -> ".join(cycle)


def test_no_module_is_a_house_of_its_own() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in modules(*PACKAGES, "tests")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"over {MAX_LINES} lines: {long}"


def test_no_environment_is_read_or_set_at_import_time() -> None:
    """Settings come from the one Settings object, read when a command starts."""
    offenders = []
    for p in modules("retrieval", "prompts", "bot"):
        tree = ast.parse(p.read_text(encoding="utf-8"))
        statements = list(tree.body)
        while statements:  # what runs on import: module and class bodies, not function bodies
            node = statements.pop()
            if isinstance(node, ast.ClassDef):
                statements.extend(node.body)
            elif not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                text = ast.unparse(node)
                if "os.environ" in text or "getenv(" in text:
                    offenders.append(f"{p.name}: {text[:60]}")
    assert not offenders
