"""The layering (README "How it is built") is import-linter's contract, run by `make test`. It
sees imports placed inside functions too, but such an import is how a cycle hides; this test
refuses any import of the project's own modules inside a function, except in an app's apps.py
(AppConfig.ready() is Django's place for wiring an app once the registry is loaded)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (
    "config",
    "members",
    "loyalty",
    "rewards",
    "analytics",
    "campaigns",
    "webhooks",
    "portal",
    "console",
)


def _function_imports(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))

    def walk(node, function=None):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                yield from walk(child, child.name)
            elif isinstance(child, ast.ImportFrom | ast.Import) and function is not None:
                modules = (
                    [child.module or ""]
                    if isinstance(child, ast.ImportFrom)
                    else [alias.name for alias in child.names]
                )
                for module in modules:
                    if module.split(".")[0] in PACKAGES:
                        where = f"{path.relative_to(ROOT)}:{child.lineno}"
                        yield f"{where} {function}() imports {module}"
            else:
                yield from walk(child, function)

    yield from walk(tree)


def test_no_module_of_ours_is_imported_inside_a_function():
    found = [
        hit
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts and path.name != "apps.py"
        for hit in _function_imports(path)
    ]
    assert found == []
