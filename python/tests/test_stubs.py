"""The type stubs (radaudit/_radaudit.pyi, shipped in the wheel with py.typed) declare exactly
the native module's functions, with the parameter names it takes."""

import ast
import importlib.resources
import inspect

from radaudit import _radaudit


def test_stubs_declare_every_native_function_with_its_parameters():
    text = importlib.resources.files("radaudit").joinpath("_radaudit.pyi").read_text()
    declared = {
        node.name: [a.arg for a in node.args.args]
        for node in ast.parse(text).body
        if isinstance(node, ast.FunctionDef)
    }
    native = {
        name: list(inspect.signature(f).parameters)
        for name, f in vars(_radaudit).items()
        if callable(f) and not name.startswith("_")
    }
    assert declared == native
    assert importlib.resources.files("radaudit").joinpath("py.typed").is_file()
