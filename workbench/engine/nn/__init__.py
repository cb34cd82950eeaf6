"""`nn`, as `torch.nn`: `Module`, the layers and containers, `Parameter`, `init`, `functional`.

`import workbench.engine as torch; torch.nn.Linear(...)`, `from workbench.engine import nn`,
`import workbench.engine.nn.functional as F` all work as they do with PyTorch.
"""

from .parameter import Buffer, Parameter  # noqa: I001 - parameters before the layers
from . import functional, init, utils
from .modules import *  # noqa: F403
from .modules import __all__ as _modules_all

__all__ = ["Parameter", "Buffer", "functional", "init", "utils", *_modules_all]
