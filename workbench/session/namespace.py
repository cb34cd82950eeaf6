"""What the variables panel shows: the tensors and modules in a session's namespace, as data.

Reading the namespace must never fail, whatever the user put there (objects whose attribute
access raises, tensor subclasses, a dict that the running worker is changing), so each value is
described inside its own try and skipped if anything goes wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["NamespaceEntry", "namespace_entries"]


@dataclass(frozen=True)
class NamespaceEntry:
    name: str
    kind: str  # "tensor" | "parameter" | "module"
    type_name: str
    shape: tuple[int, ...] | None
    dtype: str | None
    device: str | None
    requires_grad: bool | None
    has_grad: bool | None
    grad_fn: str | None
    numel: int
    summary: str


def namespace_entries(
    namespace: Mapping[str, object], *, include_module_params: bool = True
) -> list[NamespaceEntry]:
    """Tensors and nn.Modules among the public names of `namespace`, in name order.

    With `include_module_params`, each module is followed by its parameters, named
    "model.layer1.weight" as `named_parameters()` gives them.
    """
    from workbench.engine import Tensor
    from workbench.engine.nn import Module

    try:
        # one C-level copy: the worker thread may be adding names while we read
        items = list(namespace.items())
    except RuntimeError:
        items = list(dict(namespace).items())
    entries: list[NamespaceEntry] = []
    for name, value in sorted(items, key=lambda item: str(item[0])):
        if not isinstance(name, str) or name.startswith("_"):
            continue
        try:
            if isinstance(value, type):
                continue
            if isinstance(value, Tensor):
                entries.append(_tensor_entry(name, value))
            elif isinstance(value, Module):
                module_entries = [_module_entry(name, value)]
                if include_module_params:
                    module_entries += [
                        _tensor_entry(param_name, param)
                        for param_name, param in value.named_parameters(prefix=name)
                    ]
                entries.extend(module_entries)
        except Exception:  # an odd object is left out, never a crash
            continue
    return entries


def _tensor_entry(name: str, t) -> NamespaceEntry:
    from workbench.engine.nn import Parameter

    shape = tuple(int(n) for n in t.shape)
    dtype = str(t.dtype).removeprefix("torch.")
    device = str(t.device)
    requires_grad = bool(t.requires_grad)
    # .grad of a non-leaf warns (as in PyTorch) unless it retains its grad: ask only then
    has_grad = (t.grad is not None) if (t.is_leaf or t.retains_grad) else False
    grad_fn = _grad_fn_name(t.grad_fn)
    kind = "parameter" if isinstance(t, Parameter) else "tensor"
    numel = int(t.numel())
    dims = "×".join(map(str, shape)) if shape else "scalar"
    details = [f"{kind} {dims} {dtype}"]
    if device != "cpu":
        details.append(device)
    if grad_fn is not None:
        details.append(f"grad_fn={grad_fn}")
    elif requires_grad:
        details.append("requires_grad")
    if has_grad:
        details.append("has grad")
    return NamespaceEntry(
        name=name,
        kind=kind,
        type_name=type(t).__name__,
        shape=shape,
        dtype=dtype,
        device=device,
        requires_grad=requires_grad,
        has_grad=has_grad,
        grad_fn=grad_fn,
        numel=numel,
        summary=", ".join(details),
    )


def _grad_fn_name(node) -> str | None:
    if node is None:
        return None
    try:
        return str(node.name())
    except Exception:  # a node without PyTorch's name(): its class says it
        return type(node).__name__


def _module_entry(name: str, module) -> NamespaceEntry:
    type_name = type(module).__name__
    numel = sum(int(p.numel()) for p in module.parameters())
    children = sum(1 for _ in module.children())
    if children:
        summary = f"{type_name}({children} submodules, {numel} parameters)"
    else:
        try:
            extra = ", ".join(line.strip() for line in module.extra_repr().splitlines())
        except Exception:  # a user module's extra_repr may fail
            extra = ""
        summary = f"{type_name}({extra})"
    return NamespaceEntry(
        name=name,
        kind="module",
        type_name=type_name,
        shape=None,
        dtype=None,
        device=None,
        requires_grad=None,
        has_grad=None,
        grad_fn=None,
        numel=numel,
        summary=summary,
    )
