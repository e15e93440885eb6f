"""The command centre's staff API as OpenAPI, the source of the console's typed client
(docs/console.md): `python -m services.command_centre.openapi [path]` writes it, sorted and
stable, to services/command_centre/console/openapi.json; the console's `npm run api` makes its
TypeScript types from that file, and a static test holds the file to the code."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

CONSOLE_OPENAPI = Path(__file__).parent / "console" / "openapi.json"


def staff_openapi() -> dict[str, Any]:
    """The document as the running command centre serves it; the app is built, never started
    (demo mode for its built-in secret: no session is signed here; nothing connects to Kafka)."""
    from services.command_centre.main import CommandCentreSettings, create_app

    return create_app(CommandCentreSettings(demo_mode=True, kafka_security_protocol="PLAINTEXT")).openapi()


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else CONSOLE_OPENAPI
    target.write_text(render(staff_openapi()), encoding="utf-8")
    print(f"wrote {target}")
