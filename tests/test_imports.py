"""The layering of the project, checked on every import of every module (module level and inside functions).

- ``assistant`` imports nothing of ``indexing``, ``ui``, ``evals``;
- ``indexing`` imports only the leaf modules of ``assistant`` both sides share;
- ``ui`` (the chat) imports only ``assistant``; nothing imports ``ui`` but ``ui`` itself and the command line (``cli``),
  which imports what it dispatches to and is imported by nothing;
- ``ui`` takes of the HTTP API (``assistant.api``) only the package's ``create_app`` (it mounts the chat on the app and
  hands it ``app.state.runtime`` and ``app.state.guards``); the run time the two front doors share
  (``assistant.runtime``, ``assistant.request_id``) imports nothing of ``assistant.api``;
- no import circle between the modules of ``assistant`` (imports under ``TYPE_CHECKING`` are for types only).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("assistant", "indexing", "ui", "evals", "cli")
INDEXING_MAY_USE = {"assistant.settings", "assistant.models", "assistant.errors", "assistant.text", "assistant.store", "assistant.catalog"}
FORBIDDEN = {
    "assistant": {"indexing", "ui", "evals", "cli"},
    "indexing": {"ui", "evals", "cli"},
    "evals": {"ui", "cli"},
    "ui": {"evals", "indexing", "cli"},
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Modules imported by a file, outside ``if TYPE_CHECKING:`` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module = _module_name(path)
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.Import):
                out.update(a.name for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    pkg = module.split(".")[: -child.level] if not path.name == "__init__.py" else module.split(".")[: len(module.split(".")) - child.level + 1]
                    base = ".".join([*pkg, base]) if base else ".".join(pkg)
                out.add(base)
                out.update(f"{base}.{a.name}" for a in child.names)
            visit(child)

    visit(tree)
    return {m for m in out if m.split(".")[0] in PACKAGES}


def _graph() -> dict[str, set[str]]:
    files = [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")]
    modules = {_module_name(p): p for p in files}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        graph[name] = {m for m in _imports(path) if m in modules}
    return graph


def test_import_directions_follow_the_layering() -> None:
    errors = []
    for module, deps in _graph().items():
        top = module.split(".")[0]
        for dep in deps:
            dep_top = dep.split(".")[0]
            if dep_top in FORBIDDEN.get(top, set()):
                errors.append(f"{module} importe {dep}")
            if top == "indexing" and dep_top == "assistant" and dep not in INDEXING_MAY_USE:
                errors.append(f"{module} importe {dep} (indexing n'utilise que {sorted(INDEXING_MAY_USE)})")
    assert not errors, "\n".join(sorted(errors))


UI_MAY_USE_FROM_API = {"assistant.api", "assistant.api.create_app"}
SHARED_RUN_TIME = ("assistant.runtime", "assistant.request_id")


def test_the_chat_and_the_run_time_do_not_reach_into_the_api() -> None:
    errors = []
    for module, deps in _graph_all_imports().items():
        api = {d for d in deps if d == "assistant.api" or d.startswith("assistant.api.")}
        if module.split(".")[0] == "ui" and api - UI_MAY_USE_FROM_API:
            errors.append(f"{module} importe {sorted(api - UI_MAY_USE_FROM_API)} (ui n'utilise que assistant.api.create_app)")
        if module in SHARED_RUN_TIME and api:
            errors.append(f"{module} importe {sorted(api)}")
    assert not errors, "\n".join(sorted(errors))


def _graph_all_imports() -> dict[str, set[str]]:
    """Every project import of every module, names included (``from assistant.api import create_app`` gives
    ``assistant.api`` and ``assistant.api.create_app``)."""
    return {_module_name(p): _imports(p) for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}


def test_no_import_circle_in_the_project() -> None:
    graph = _graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def walk(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if dep == node or dep == node.rsplit(".", 1)[0]:
                continue  # a module and its own package's __init__
            if state.get(dep) == 1:
                cycles.append(stack[stack.index(dep):] + [dep])
            elif dep not in state:
                walk(dep, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            walk(node, [])
    assert not cycles, "\n".join(" → ".join(c) for c in cycles)


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    """The test above can fail: a file importing ``ui`` from ``assistant`` is caught."""
    probe = ROOT / "assistant" / "_probe_import_direction.py"
    probe.write_text("def f():\n    from ui import chat  # noqa\n", encoding="utf-8")
    try:
        deps = _imports(probe)
    finally:
        probe.unlink()
    assert "ui" in deps or "ui.chat" in deps
