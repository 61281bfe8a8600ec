"""The package's layering (docs/architecture.md), checked over its import graph: a new
import that breaks a rule fails here, with the rule named."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "setpoint"
AREAS = {
    "auth",
    "exports",
    "heartrate",
    "notifications",
    "plans",
    "schedules",
    "sessions",
    "strength",
    "web",
    "workouts",
}
# Entry points put the parts together: they may import anything.
ENTRY_POINTS = {"setpoint.app", "setpoint.wiring", "setpoint.cli"}
# The pure cores: rules of plain data and `now`, no I/O, no framework.
PURE = {
    "setpoint.auth.model",
    "setpoint.clock",
    "setpoint.errors",
    "setpoint.exports.formats",
    "setpoint.exports.model",
    "setpoint.heartrate.ble",
    "setpoint.heartrate.deviation",
    "setpoint.heartrate.filter",
    "setpoint.heartrate.model",
    "setpoint.heartrate.simulator",
    "setpoint.heartrate.zones",
    "setpoint.notifications.model",
    "setpoint.plans.model",
    "setpoint.schedules.cron",
    "setpoint.sessions.machine",
    "setpoint.strength.model",
    "setpoint.strength.records",
    "setpoint.workouts.generate",
    "setpoint.workouts.model",
    "setpoint.workouts.normalize",
}
# What a pure core may import besides the standard library and other pure cores: Garmin's
# FIT encoder is computation on bytes.
PURE_THIRD_PARTY = {"garmin_fit_sdk"}
# The lowest layers, which every area may use and which use no area: the process runtime
# (context, the workers' loop and hub) and the database. `db.tables` gathers every area's
# tables into one metadata, for migrations: that is its purpose.
LOW = {
    "setpoint.config",
    "setpoint.context",
    "setpoint.db",
    "setpoint.dependencies",
    "setpoint.workers",
}
LOW_EXCEPTIONS = {"setpoint.db.tables", "setpoint.db.migrations"}
# Another area's queries are its own: areas call each other's services.
PRIVATE_TO_AREA = {"repository", "endpoints"}


def _modules() -> dict[str, set[str]]:
    """Each module of the package and the modules it imports (at any depth of its code)."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module)
                imported.update(f"{node.module}.{alias.name}" for alias in node.names)
        graph[name] = imported
    return graph


GRAPH = _modules()


def _within(name: str, prefixes: set[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _area(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in AREAS else None


def _ours(imported: set[str]) -> set[str]:
    """Imported modules of the package (a `from m import name` counts `m` only when `name`
    is not itself a module)."""
    return {n for n in imported if n.startswith("setpoint.") and n in GRAPH}


def test_the_graph_was_read() -> None:
    assert "setpoint.sessions.machine" in GRAPH and len(GRAPH) > 50
    assert all(any(_within(m, {p}) for m in GRAPH) for p in PURE), "a listed pure core is gone"


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if _within(m, PURE)))
def test_pure_cores_import_no_io(module: str) -> None:
    for imported in GRAPH[module]:
        top = imported.split(".")[0]
        if top == "setpoint":
            if imported in GRAPH:
                assert _within(imported, PURE), f"{module} (pure) imports {imported}"
        elif top != "__future__":
            allowed = top in sys.stdlib_module_names or top in PURE_THIRD_PARTY
            assert allowed, f"{module} (pure) imports {imported}"


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if _within(m, LOW | {"setpoint.auth"})))
def test_the_low_layers_import_no_domain_area(module: str) -> None:
    if _within(module, LOW_EXCEPTIONS):
        return
    own = _area(module)
    for imported in _ours(GRAPH[module]):
        area = _area(imported)
        assert area in (None, own), f"{module} imports the {area} area ({imported})"


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if _area(m)))
def test_areas_use_each_other_through_services_not_queries(module: str) -> None:
    for imported in _ours(GRAPH[module]):
        area = _area(imported)
        if area is None or area == _area(module) or _within(module, ENTRY_POINTS):
            continue
        assert imported.split(".")[-1] not in PRIVATE_TO_AREA, f"{module} imports {imported}"
