"""The import layering of `pipelines/`: a module imports only from its own layer or from layers
below it, whether the import sits at the top of the module, in a function or under
TYPE_CHECKING. The data model imports nothing of ours.

Layers, lowest first (decided from what the code needs):

    model                     the document model, layout index, records, schemas
    storage, codec            where bytes live (local or object storage), typed JSON
    ingest                    sniffing, walking inputs, the raw store, decoding text
    parse                     one module per format -> the document model
    map                       rules, the generic extractor, normalisation
    validate                  schema checks, the injection screen
    land                      the KB: tables, writers, catalog, queries
    llm                       the optional LLM step (validates, reads and writes the KB)
    config                    settings composing the layers' options
    review                    review queue, web app, coaching
    orchestration             run/, defs/, definitions, run_guard, evaluate
    cli                       cli*.py, and the command modules of each package (cli.py, *_cli.py)
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "pipelines"

LAYERS: list[frozenset[str]] = [frozenset(names.split()) for names in (
    "model",
    "storage codec",
    "ingest",
    "parse",
    "map",
    "validate",
    "land",
    "llm",
    "config",
    "review",
    "run defs definitions run_guard evaluate",
    "cli cli_options cli_output cli_errors",
)]
_CLI = len(LAYERS) - 1


def layer_of(module: str) -> int:
    """The layer of a module named `pipelines.x.y...`."""
    parts = module.split(".")
    if len(parts) == 1:
        return 0  # the package itself holds nothing
    last = parts[-1]
    if len(parts) > 2 and (last == "cli" or last.endswith("_cli")):
        return _CLI  # a package's command-line commands sit with the CLI
    for i, names in enumerate(LAYERS):
        if parts[1] in names:
            return i
    raise AssertionError(f"{module}: no layer for pipelines.{parts[1]}; add it to LAYERS in {__file__}")


def module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, module: str, root: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every import of ours in the file, at any depth."""
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for a in node.names:  # `from pipelines import storage` imports pipelines.storage
                sub = f"{target}.{a.name}"
                found.append((node.lineno, sub if _is_module(sub, root) else target))
    return [(line, name) for line, name in found if name.split(".")[0] == root.name]


def _is_module(name: str, root: Path) -> bool:
    """Whether `name` is a module or package of ours (not a name defined in a module)."""
    parts = name.split(".")
    if parts[0] != root.name:
        return False
    where = root.joinpath(*parts[1:])
    return where.with_suffix(".py").is_file() or (where / "__init__.py").is_file()


def upward_imports(root: Path, paths: list[Path] | None = None) -> list[str]:
    """Every import from a module (of `paths`, default all) to a module of a higher layer (the
    model: to anything of ours)."""
    problems = []
    for path in sorted(root.rglob("*.py")) if paths is None else paths:
        module = module_name(path, root)
        mine = layer_of(module)
        for line, target in imports_of(path, module, root):
            theirs = layer_of(target)
            if target.split(".")[:2] == module.split(".")[:2] or len(target.split(".")) == 1:
                continue  # within one package (or the bare package)
            if mine == 0 or theirs > mine:
                problems.append(f"{path.relative_to(root.parent)}:{line}: {module} imports {target} "
                                f"(layer {theirs} above {mine})")
    return problems


def test_no_module_imports_from_a_higher_layer() -> None:
    problems = upward_imports(PACKAGE)
    assert not problems, "upward imports:\n" + "\n".join(problems)


def test_every_module_has_a_layer() -> None:
    for path in PACKAGE.rglob("*.py"):
        layer_of(module_name(path, PACKAGE))


@pytest.fixture(scope="module")
def package_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("layers") / "pipelines"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return copy


@pytest.mark.parametrize("where, source, expected", [
    ("parse/planted.py", "from pipelines.review.store import ReviewStore\n", "imports pipelines.review.store"),
    ("map/planted.py", "def f():\n    from pipelines.land import kb\n", "imports pipelines.land.kb"),
    ("model/planted.py", "from pipelines import storage\n", "imports pipelines.storage"),
    ("ingest/planted.py", "from ..parse import dispatch\n", "imports pipelines.parse.dispatch"),
    ("validate/planted.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pipelines.llm.client\n",
     "imports pipelines.llm.client"),
])
def test_a_planted_upward_import_is_found(package_copy: Path, where: str, source: str, expected: str) -> None:
    """The check on a copy of the package with one upward import added (and, for contrast, the
    same module with an import from below)."""
    planted = package_copy / where
    planted.write_text("from pipelines.model import document\n", encoding="utf-8")
    assert upward_imports(package_copy, [planted]) == []
    planted.write_text(source, encoding="utf-8")
    try:
        problems = upward_imports(package_copy, [planted])
    finally:
        planted.unlink()
    assert len(problems) == 1 and expected in problems[0], problems
