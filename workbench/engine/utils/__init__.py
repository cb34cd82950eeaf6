"""`utils`: as `torch.utils`, for now the data-loading part (`utils.data`)."""

from . import data

__all__ = ["data"]
