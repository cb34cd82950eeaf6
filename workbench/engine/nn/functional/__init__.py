"""`torch.nn.functional`: the nn ops as functions, grouped by family in this package."""

from .activation import *  # noqa: F403
from .activation import __all__ as _activation_all
from .conv import *  # noqa: F403
from .conv import __all__ as _conv_all
from .dropout import *  # noqa: F403
from .dropout import __all__ as _dropout_all
from .linear import *  # noqa: F403
from .linear import __all__ as _linear_all
from .loss import *  # noqa: F403
from .loss import __all__ as _loss_all
from .normalization import *  # noqa: F403
from .normalization import __all__ as _normalization_all
from .padding import *  # noqa: F403
from .padding import __all__ as _padding_all
from .pooling import *  # noqa: F403
from .pooling import __all__ as _pooling_all
from .sparse import *  # noqa: F403
from .sparse import __all__ as _sparse_all

__all__ = [
    *_activation_all,
    *_conv_all,
    *_dropout_all,
    *_linear_all,
    *_loss_all,
    *_normalization_all,
    *_padding_all,
    *_pooling_all,
    *_sparse_all,
]
