"""The layers: `Module` and the containers, plus every layer family, as `torch.nn.modules`."""

from .module import (  # noqa: I001 - module must load first: every layer family subclasses it
    Module,
    RemovableHandle,
    register_module_forward_hook,
    register_module_forward_pre_hook,
    register_module_full_backward_hook,
    register_module_full_backward_pre_hook,
)
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .flatten import Flatten, Unflatten
from .linear import Identity, Linear
from .activation import *  # noqa: F403
from .conv import *  # noqa: F403
from .dropout import *  # noqa: F403
from .loss import *  # noqa: F403
from .normalization import *  # noqa: F403
from .pooling import *  # noqa: F403
from .sparse import *  # noqa: F403

# Every public layer class, whichever family file defines it.
__all__ = sorted(
    name
    for name, value in list(globals().items())
    if not name.startswith("_") and isinstance(value, type) and issubclass(value, Module)
)
