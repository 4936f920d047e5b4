"""Import rules that keep the parts independent."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def modules(*packages: str) -> list[Path]:
    return [p for pkg in packages for p in (ROOT / pkg).rglob("*.py")]


def test_only_bot_imports_telegram() -> None:
    offenders = [p for p in modules("retrieval", "prompts") if "telegram" in imports(p)]
    assert not offenders


def test_only_the_store_imports_chromadb() -> None:
    offenders = [p.name for p in modules("retrieval", "prompts", "bot") if "chromadb" in imports(p)]
    assert offenders == ["store.py"]


def test_only_embedder_and_llm_import_openai() -> None:
    offenders = {p.name for p in modules("retrieval", "prompts", "bot") if "openai" in imports(p)}
    assert offenders <= {"embed.py", "llm.py"}
