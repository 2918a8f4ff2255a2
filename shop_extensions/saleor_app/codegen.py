"""`make saleor-client`: regenerate the typed client from SALEOR_SCHEMA_PATH with the settings in pyproject."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise TypeError(f"unsupported value {value!r}")


def main() -> int:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ariadne-codegen"]
    schema = Path(
        os.environ.get("SALEOR_SCHEMA_PATH") or ROOT.parent / "shared" / "saleor" / "schema.graphql"
    )
    if not schema.is_file():
        print(f"no Saleor schema at {schema}; set SALEOR_SCHEMA_PATH", file=sys.stderr)
        return 2
    lines = ["[tool.ariadne-codegen]", f"schema_path = {_toml_value(str(schema))}"]
    scalars = config.pop("scalars", {})
    lines += [f"{k} = {_toml_value(v)}" for k, v in config.items() if k != "schema_path"]
    for name, spec in scalars.items():
        lines += [
            f"[tool.ariadne-codegen.scalars.{name}]",
            *(f"{k} = {_toml_value(v)}" for k, v in spec.items()),
        ]
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as handle:
        handle.write("\n".join(lines) + "\n")
    try:
        subprocess.run(
            [Path(sys.executable).with_name("ariadne-codegen"), "--config", handle.name], cwd=ROOT, check=True
        )
    finally:
        os.unlink(handle.name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
