"""Test configuration shared by the whole suite.

- Qt runs offscreen (set here, before any QApplication exists, so nobody sets it by hand).
- Tests marked `gpu` are skipped unless the engine sees a CUDA device through CuPy.
"""

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

try:
    from hypothesis import settings
except ImportError:  # hypothesis is a dev extra
    pass
else:
    # No per-example deadline: timings on a loaded 2-core CI machine are noise, not failures.
    settings.register_profile("workbench", deadline=None)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "workbench"))


def _cuda_available() -> bool:
    try:
        from workbench.engine import cuda
    except ImportError:
        return False
    return bool(cuda.is_available())


def pytest_collection_modifyitems(config, items):
    gpu_items = [item for item in items if item.get_closest_marker("gpu") is not None]
    if not gpu_items or _cuda_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU with CuPy (none visible)")
    for item in gpu_items:
        item.add_marker(skip)
