"""The demo page's modules (static/demo.js and static/demo/*.js) type-check with `tsc --strict --checkJs`
against their JSDoc and the client's static/ruvllm.d.ts."""

from __future__ import annotations

from test_types import tsc  # tests/types is not a package: pytest puts this folder on sys.path


def test_the_demo_modules_type_check() -> None:
    result = tsc("-p", "tsconfig.demo.json")
    assert result.returncode == 0, result.stdout + result.stderr
