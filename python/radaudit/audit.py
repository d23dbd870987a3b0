"""``radaudit.audit``: the robustness audit of a protocol from Python, as ``radaudit audit``
runs it (perturbations, features, stability before and after ComBat, the report)."""

import json
import os

from . import _radaudit


def audit(protocol, out=None, threads=None):
    """Runs the audit of ``protocol`` (a YAML file) into ``out`` (default: runs/<protocol file
    stem>, as the command line) on ``threads`` threads (1 to 1024; default every core); the GIL
    is released while it runs. Returns a dict: ``summary`` (summary.json's content),
    ``passed`` (whether the protocol's acceptance rule held), ``report`` (report.html's path,
    or None when the protocol turns the report off), ``run_dir`` and ``text`` (the lines the
    command prints at the end). Bad input raises ValueError or FileNotFoundError with
    radaudit's message."""
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= 1024):
        raise ValueError(f"threads {threads!r}: a whole number from 1 to 1024 (None: every core)")
    run_dir, report, passed, text = _radaudit.audit(
        os.fspath(protocol), None if out is None else os.fspath(out), threads
    )
    run_dir = os.fspath(run_dir)
    with open(os.path.join(run_dir, "summary.json"), encoding="utf-8") as f:
        summary = json.load(f)
    report = None if report is None else os.fspath(report)
    return {"summary": summary, "passed": passed, "report": report, "run_dir": run_dir, "text": text}
