"""The rules that keep the parts independent (docs/architecture.md), checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("retrieval", "prompts", "bot", "testing", "bench")
MAX_LINES = 500  # a smell detector; the folders below are the real rule

# retrieval/'s sub-packages, lowest first: each imports only the shared nouns at the top of
# retrieval/ and the sub-packages before it (docs/architecture.md).
LAYERS = ("text", "sources", "embedding", "index", "llm", "search", "answer", "feeds", "cli")
NOUNS = (
    "errors",
    "settings",
    "types",
    "ids",
    "dates",
    "languages",
    "strings",
    "timing",
    "networks",
    "shelves",
)


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


def modules(*packages: str) -> list[Path]:
    return [p for pkg in packages for p in sorted((ROOT / pkg).rglob("*.py"))]


def test_only_bot_imports_telegram() -> None:
    offenders = [
        p for p in modules("retrieval", "prompts", "testing", "bench") if "telegram" in imports(p)
    ]
    assert not offenders


def test_only_the_vector_store_imports_chromadb() -> None:
    offenders = [rel(p) for p in modules("retrieval", "prompts", "bot") if "chromadb" in imports(p)]
    assert offenders == ["retrieval/index/vectors.py"]


def test_only_embedder_model_and_transcription_clients_import_openai() -> None:
    offenders = {rel(p) for p in modules("retrieval", "prompts", "bot") if "openai" in imports(p)}
    assert offenders <= {
        "retrieval/embedding/embedders.py",
        "retrieval/llm/client.py",
        "retrieval/llm/transcribe.py",
    }


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def dotted(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def retrieval_imports(path: Path) -> set[str]:
    """Dotted names of the retrieval modules this one imports (any depth of the file)."""
    return package_imports(path, "retrieval") & RETRIEVAL


RETRIEVAL = {dotted(p) for p in (ROOT / "retrieval").rglob("*.py")}


def layer(module: str) -> int:
    """0 for the shared nouns, then one per sub-package in LAYERS order; the public surface last."""
    parts = module.split(".")
    if len(parts) == 1:  # retrieval/__init__.py: a docstring
        return 0
    if len(parts) == 2:
        return len(LAYERS) + 1 if parts[1] == "api" else 0
    return LAYERS.index(parts[1]) + 1


def test_every_module_of_the_core_has_a_place() -> None:
    """A new module goes into a folder (or is one of the shared nouns, or the public surface)."""
    top = {m.split(".")[1] for m in RETRIEVAL if m.count(".") == 1}
    assert top == {*NOUNS, *LAYERS, "api"}
    for folder in LAYERS:
        doc = ast.get_docstring(
            ast.parse((ROOT / "retrieval" / folder / "__init__.py").read_text())
        )
        assert doc and "Imports:" in doc, (
            f"retrieval/{folder}/__init__.py: say what it owns and imports"
        )


def test_each_folder_imports_only_the_ones_below_it() -> None:
    wrong = [
        f"{dotted(p)} -> {m}"
        for p in (ROOT / "retrieval").rglob("*.py")
        for m in sorted(retrieval_imports(p))
        if m != "retrieval"
        and layer(m) > 0
        and layer(m) >= layer(dotted(p))
        and m.split(".")[:2] != dotted(p).split(".")[:2]
    ]
    nouns_up = [
        f"{dotted(p)} -> {m}"
        for p in (ROOT / "retrieval").glob("*.py")
        if layer(dotted(p)) == 0
        for m in retrieval_imports(p)
        if layer(m) > 0
    ]
    assert not wrong and not nouns_up, wrong + nouns_up


def test_the_bots_state_imports_no_handler() -> None:
    """bot/store/ is the database; commands and handlers use it, never the other way round."""
    wrong = [
        f"{rel(p)} -> {n.module}"
        for p in (ROOT / "bot" / "store").glob("*.py")
        for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        if isinstance(n, ast.ImportFrom)
        and (n.module or "").startswith("bot.")
        and not (n.module or "").startswith(("bot.store", "bot.retry"))
    ]
    assert not wrong


def test_the_bot_uses_the_core_only_through_its_public_surface() -> None:
    wrong = [
        f"{rel(p)} -> {m}"
        for p in modules("bot")
        for m in retrieval_imports(p)
        if m not in ("retrieval", "retrieval.api")
    ]
    assert not wrong
    assert not [rel(p) for p in modules("retrieval") if "retrieval.api" in retrieval_imports(p)]


def test_the_public_surface_names_each_export_once_for_code_and_types() -> None:
    from retrieval import api

    tree = ast.parse((ROOT / "retrieval" / "api.py").read_text(encoding="utf-8"))
    typed = {
        a.asname or a.name: (node.module, a.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("retrieval.")
        for a in node.names
    }
    assert typed == api._WHERE
    for name in api.__all__:
        assert getattr(api, name) is not None


def test_the_core_and_its_surface_import_no_circle() -> None:
    graph = {
        dotted(p): retrieval_imports(p) - {"retrieval"} for p in (ROOT / "retrieval").rglob("*.py")
    }
    assert_no_cycle(graph)


# Private names of libraries that are public by their own documentation.
DOCUMENTED = {"_mapping", "_replace", "_asdict", "_fields"}  # Row._mapping; namedtuple methods


def _private(name: str) -> bool:
    """`_x` and name-mangled `_Class__x`; not dunders such as `__name__`."""
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def test_no_private_attribute_of_a_library_is_touched() -> None:
    """`x._name` on anything but our own objects (self, cls, or a module of ours), and
    getattr/setattr with a private name: httpx's `_pool`, `_Application__...`, chromadb's
    `_server._session` were such reaches; each has a public hook now."""
    ours = {"self", "cls", "fake", "api"}
    offenders = []
    for p in modules("retrieval", "bot", "prompts", "testing"):
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute):
                base = node.value.id if isinstance(node.value, ast.Name) else ""
                if _private(node.attr) and node.attr not in DOCUMENTED and base not in ours:
                    offenders.append(f"{rel(p)}:{node.lineno} {ast.unparse(node)}")
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("getattr", "setattr", "hasattr")
                and len(node.args) > 1
                and isinstance(node.args[1], ast.Constant)
                and _private(str(node.args[1].value))
            ):
                offenders.append(f"{rel(p)}:{node.lineno} {ast.unparse(node)}")
    assert not offenders


def test_the_product_never_imports_tests_and_benchmarks_only_testing() -> None:
    product = [
        p
        for p in modules("retrieval", "prompts", "bot")
        if imports(p) & {"tests", "bench", "testing"}
    ]
    bench = [p for p in modules("bench", "testing") if "tests" in imports(p)]
    assert not product and not bench


@pytest.mark.parametrize("package", ["prompts", "bot", "testing", "bench"])
def test_no_import_circle(package: str) -> None:
    graph = {dotted(p): package_imports(p, package) for p in (ROOT / package).rglob("*.py")}
    assert_no_cycle({m: {d for d in deps if d in graph} for m, deps in graph.items()})


def package_imports(path: Path, package: str) -> set[str]:
    """Dotted names of the modules of `package` this one imports, relative or absolute."""
    here = dotted(path)
    base_pkg = here if path.name == "__init__.py" else here.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = base_pkg.split(".")[: len(base_pkg.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            if base == package or base.startswith(package + "."):
                out.add(base)
                out.update(f"{base}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith(package + "."))
    return out - {here}


def assert_no_cycle(graph: dict[str, set[str]]) -> None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for d in sorted(graph.get(m, ())):
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


def test_the_architecture_document_names_every_module() -> None:
    """docs/architecture.md maps every module of the core and the bot (a newcomer's index)."""
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [
        rel(p)
        for p in modules("retrieval", "bot")
        if p.name != "__init__.py" and f"`{p.stem}`" not in doc and f"`{p.stem}.py`" not in doc
    ]
    folders = [f for f in LAYERS if f"`{f}/`" not in doc] + [
        f for f in ("store", "commands") if f"`{f}/`" not in doc
    ]
    assert not missing and not folders, missing + folders
