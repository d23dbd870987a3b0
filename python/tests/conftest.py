"""Where the reference data is: $RADAUDIT_REFERENCE, else ../shared/reference beside the
project (as the Rust tests find it)."""

import os
import pathlib

import pytest


@pytest.fixture(scope="session")
def reference():
    root = os.environ.get("RADAUDIT_REFERENCE")
    path = pathlib.Path(root) if root else pathlib.Path(__file__).resolve().parents[3] / "shared" / "reference"
    if not path.is_dir():
        pytest.fail(f"reference data not found at {path} (set RADAUDIT_REFERENCE)")
    return path
