"""Rules about how the packages fit together (DESIGN.md §3)."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import workbench

REPO_ROOT = Path(__file__).resolve().parent.parent

QT_PACKAGES = ("PySide6", "shiboken6", "pyqtgraph", "PyQt5", "PyQt6", "PySide2")

# Imports every module under workbench/ except workbench.ui (and its subpackages) and the
# `__main__` entry point, in a fresh interpreter, and reports which modules were imported and
# which module first pulled in Qt. The walk is by hand because pkgutil.walk_packages would import
# workbench.ui itself to look inside it.
_IMPORT_ALL = textwrap.dedent(
    """
    import importlib, json, pkgutil, sys

    QT = {qt!r}

    def qt_loaded():
        return sorted({{m.split(".")[0] for m in sys.modules}} & set(QT))

    imported, culprit = [], None

    def walk(package):
        global culprit
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            name = info.name
            if name == "workbench.ui" or name.endswith(".__main__"):
                continue
            module = importlib.import_module(name)
            imported.append(name)
            if culprit is None and qt_loaded():
                culprit = name
            if info.ispkg:
                walk(module)

    import workbench
    imported.append("workbench")
    walk(workbench)
    print(json.dumps({{"imported": imported, "qt": qt_loaded(), "culprit": culprit}}))
    """
).format(qt=QT_PACKAGES)


def test_nothing_below_ui_imports_qt():
    proc = subprocess.run(
        [sys.executable, "-c", _IMPORT_ALL],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"importing the workbench modules failed:\n{proc.stderr}"
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "workbench.cli" in report["imported"]  # the walk really ran
    assert not any(name.startswith("workbench.ui") for name in report["imported"])
    assert report["qt"] == [], (
        f"{report['culprit']} imports Qt ({', '.join(report['qt'])}); "
        "only workbench.ui may import PySide6 or pyqtgraph"
    )


def test_version_flag():
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", "--version"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"workbench {workbench.__version__}"
