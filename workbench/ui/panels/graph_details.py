"""The graph panel's side pane: what one node is, what it consumed and saved, and the gradient
that went through it (during a step-through: the gradient arriving at this step and what it
sends to each input).

It renders HTML into a QTextBrowser. Links are ``node:ID`` (go to an input node) and
``inspect:KEY`` (show an array in the tensor inspector); the arrays behind the keys of the
current page are kept in `_arrays`.
"""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QTextBrowser, QVBoxLayout, QWidget

from workbench.session.tensorstats import format_number, tensor_stats
from workbench.ui.panels.graph_items import shape_text
from workbench.ui.theme import Theme, current_theme, theme_manager

HINT = "Click a node to see its inputs, saved tensors and the gradient through it."

KIND_NAMES = {
    "op": "operation",
    "accumulate": "AccumulateGrad",
    "leaf": "leaf tensor",
    "parameter": "parameter",
    "output": "output",
    "saved": "saved tensor",
    "module": "module",
}


def summary(array) -> str:
    """``3 × 4 · min -1.2 · max 3.4 · mean 0.5`` (and NaN/Inf counts when there are some)."""
    if array is None:
        return "—"
    a = np.asarray(array)
    if a.size == 1:
        text = format_number(a.reshape(-1)[0].item())
    else:
        st = tensor_stats(a)
        if st.min is not None and st.min == st.max and not (st.nan_count or st.inf_count):
            return f"all {format_number(st.min)}"
        text = (
            f"min {format_number(st.min)} · max {format_number(st.max)} · "
            f"mean {format_number(st.mean)}"
        )
        if st.nan_count or st.inf_count:
            text += f" · {st.nan_count} NaN · {st.inf_count} Inf"
    return text


def _nbytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _nonfinite(array) -> bool:
    if array is None:
        return False
    a = np.asarray(array)
    return a.dtype.kind in "fc" and not bool(np.isfinite(a).all())


class DetailsPane(QWidget):
    """Shows one node; emits what the user asks to see next."""

    inspect_requested = Signal(str, object)  # a name for the inspector, the array
    node_requested = Signal(int)  # an input or consumer node the user clicked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("GraphDetails")
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)
        self.browser.setOpenExternalLinks(False)
        self.browser.anchorClicked.connect(self._on_link)
        self.browser.document().setDocumentMargin(10)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.browser)
        self._graph = None
        self._node = None
        self._step = None
        self._step_total = 0
        self._leaf_grad = None
        self._arrays: dict[str, tuple[str, object]] = {}
        theme_manager().changed.connect(self._on_theme)
        self.clear()

    # -- public -------------------------------------------------------------------------------

    @property
    def node(self):
        return self._node

    def text(self) -> str:
        return self.browser.toPlainText()

    def clear(self) -> None:
        self._graph = self._node = self._step = None
        self._arrays = {}
        t = current_theme()
        self.browser.setHtml(
            f"<div style='color:{t.muted}; margin-top:24px;' align='center'>{HINT}</div>"
        )

    def show_node(self, graph, node, step=None, step_total: int = 0, leaf_grad=None) -> None:
        """Describe `node` of `graph`. `step` is the backward Step that ran this node (when
        stepping through and the node has run), `leaf_grad` a leaf's ``.grad`` so far."""
        self._graph, self._node = graph, node
        self._step, self._step_total, self._leaf_grad = step, step_total, leaf_grad
        self._render()

    def arrays(self) -> dict[str, tuple[str, object]]:
        """The inspectable arrays of the current page: link key -> (name, array)."""
        return dict(self._arrays)

    def activate(self, key: str) -> None:
        """Act as if the link ``inspect:KEY`` had been clicked."""
        name, array = self._arrays[key]
        self.inspect_requested.emit(name, array)

    # -- rendering ----------------------------------------------------------------------------

    def _on_theme(self, _theme=None) -> None:
        if self._node is None:
            self.clear()
        else:
            self._render()

    def _link(self, key: str, name: str, array, text: str = "inspect") -> str:
        if array is None:
            return ""
        self._arrays[key] = (name, array)
        return f" <a href='inspect:{key}'>{text}</a>"

    def _render(self) -> None:
        t = current_theme()
        n = self._node
        self._arrays = {}
        esc = html.escape
        title = n.label or n.name
        parts = [_style(t)]
        parts.append(f"<p class='title'>{esc(title)}</p>")
        kind = KIND_NAMES.get(n.kind, n.kind)
        sub = [kind]
        if n.kind == "op" and n.name and n.name != title:
            sub.append(n.name)
        parts.append(f"<p class='muted'>{esc(' · '.join(sub))}</p>")

        rows = []
        if n.kind in ("leaf", "parameter", "output") or (n.name and n.name != title):
            if n.name and n.kind != "op":
                rows.append(("name", esc(n.name)))
        names = n.details.get("tensor_names")
        if names:
            rows.append(("named", esc(", ".join(names))))
        if n.module:
            rows.append(("module", esc(n.module)))
        if n.shape is not None:
            rows.append(("output", f"{esc(shape_text(n.shape))} · {esc(n.dtype or '?')}"))
        if n.seq is not None and n.kind == "op":
            rows.append(("created", f"#{n.seq}"))
        if n.kind == "module":
            members = n.details.get("members") or n.details.get("nodes")
            if isinstance(members, list | tuple | set):
                rows.append(("contains", f"{len(members)} nodes"))
            rows.append(
                ("", "<span class='muted'>click + or double-click the card to expand it</span>")
            )
        parts.append(_table(rows))

        if self._step is not None:
            parts.append(self._step_section(t))
        parts.append(self._inputs_section())
        if n.saved or n.details.get("saved_released"):
            parts.append(self._saved_section())
        parts.append(self._values_section(t))
        self.browser.setHtml("".join(p for p in parts if p))

    def _node_ref(self, nid: int) -> str:
        other = self._graph.nodes.get(nid)
        if other is None:
            return str(nid)
        return f"<a href='node:{nid}'>{html.escape(other.label or other.name)}</a>"

    def _inputs_section(self) -> str:
        g, n = self._graph, self._node
        if g is None:
            return ""
        edges = [e for e in g.inputs(n.id) if e.input_nr >= 0]  # saved-tensor edges are < 0
        by_nr = {e.input_nr: e for e in edges}
        count = n.details.get("num_inputs", len(edges))
        rows = []
        for k in range(max(count, max(by_nr, default=-1) + 1)):
            e = by_nr.get(k)
            if e is None:
                rows.append((f"#{k}", "<span class='muted'>constant · no gradient, no edge</span>"))
            else:
                rows.append((f"#{k}", f"{self._node_ref(e.src)} · {shape_text(e.shape)}"))
        out = []
        if rows:
            out.append("<p class='head'>Inputs</p>" + _table(rows))
        consumers = g.consumers(n.id)
        if consumers:
            crow = [
                (f"→ #{e.input_nr}", f"{self._node_ref(e.dst)} · {shape_text(e.shape)}")
                for e in consumers
            ]
            out.append("<p class='head'>Used by</p>" + _table(crow))
        return "".join(out)

    def _saved_section(self) -> str:
        n = self._node
        if n.details.get("saved_released") and not n.saved:
            return (
                "<p class='head'>Saved tensors</p><p class='muted'>released by backward() "
                "(pass retain_graph=True to keep them)</p>"
            )
        rows = "".join(
            f"<tr><td>{html.escape(s.name)}</td><td>{html.escape(shape_text(s.shape))}</td>"
            f"<td>{html.escape(s.dtype or '')}</td><td align='right'>{_nbytes(s.nbytes)}</td></tr>"
            for s in n.saved
        )
        header = (
            "<tr class='muted'><td>name</td><td>shape</td><td>dtype</td>"
            "<td align='right'>size</td></tr>"
        )
        return (
            "<p class='head'>Saved tensors</p>"
            f"<table cellspacing='0' cellpadding='3'>{header}{rows}</table>"
        )

    def _values_section(self, t: Theme) -> str:
        n = self._node
        label = n.label or n.name
        rows = []
        if n.value is not None:
            rows.append(("value", self._summary(n.value) + self._link("value", label, n.value)))
        elif n.kind not in ("module", "accumulate"):
            rows.append(("value", "<span class='muted'>not kept</span>"))
        grad_name = f"{label}.grad" if n.kind in ("leaf", "parameter") else f"grad of {label}"
        if n.kind in ("leaf", "parameter") and self._leaf_grad is not None:
            rows.append(
                (
                    ".grad so far",
                    self._summary(self._leaf_grad)
                    + self._link("leafgrad", grad_name, self._leaf_grad),
                )
            )
        if n.grad is not None and self._step is None:
            what = ".grad" if n.kind in ("leaf", "parameter") else "grad in"
            rows.append((what, self._summary(n.grad) + self._link("grad", grad_name, n.grad)))
        if n.grads_out and self._step is None:
            for k, grad in enumerate(n.grads_out):
                if grad is None:
                    continue
                rows.append(
                    (
                        f"grad → #{k}",
                        self._summary(grad)
                        + self._link(f"out{k}", f"grad of {label} → input {k}", grad),
                    )
                )
        if not rows:
            return ""
        head = "Values and gradients" if len(rows) > 1 else "Value"
        return f"<p class='head'>{head}</p>" + _table(rows)

    def _step_section(self, t: Theme) -> str:
        s, n = self._step, self._node
        label = n.label or n.name
        rows = []
        for k, grad in enumerate(s.grad_in):
            key = f"in{k}"
            name = f"gradient arriving at {label}" + (
                f" (output {k})" if len(s.grad_in) > 1 else ""
            )
            rows.append(
                ("arrives" if k == 0 else "", self._summary(grad) + self._link(key, name, grad))
            )
        inputs = {e.input_nr: e for e in self._graph.inputs(n.id)} if self._graph else {}
        for k, grad in enumerate(s.grads_out):
            if grad is None:
                continue
            target = self._node_ref(inputs[k].src) if k in inputs else f"input {k}"
            rows.append(
                (
                    f"sends → #{k}",
                    f"{target}: {self._summary(grad)}"
                    + self._link(f"send{k}", f"gradient {label} sends to input {k}", grad),
                )
            )
        for lid, grad in s.leaf_grads.items():
            leaf = self._graph.nodes.get(lid) if self._graph else None
            leaf_name = (leaf.name or leaf.label) if leaf else str(lid)
            rows.append(
                (
                    ".grad now",
                    f"{html.escape(leaf_name)}: {self._summary(grad)}"
                    + self._link(f"leaf{lid}", f"{leaf_name}.grad", grad),
                )
            )
        head = f"Backward step {s.index + 1} of {self._step_total}"
        return f"<p class='head accent'>{head}</p>" + _table(rows)

    def _summary(self, array) -> str:
        if array is None:
            return "<span class='muted'>none</span>"
        a = np.asarray(array)
        cls = "error" if _nonfinite(a) else ""
        shape = shape_text(a.shape)
        return (
            f"<span class='muted'>{html.escape(shape)}</span> "
            f"<span class='{cls}'>{html.escape(summary(a))}</span>"
        )

    def _on_link(self, url) -> None:
        text = url.toString()
        kind, _, rest = text.partition(":")
        if kind == "node":
            try:
                self.node_requested.emit(int(rest))
            except ValueError:
                pass
        elif kind == "inspect" and rest in self._arrays:
            self.activate(rest)


def _table(rows) -> str:
    if not rows:
        return ""
    body = "".join(f"<tr><td class='key'>{html.escape(k)}</td><td>{v}</td></tr>" for k, v in rows)
    return f"<table cellspacing='0' cellpadding='2'>{body}</table>"


def _style(t: Theme) -> str:
    return f"""<style>
p {{ margin: 0; }}
.title {{ font-size: 13pt; font-weight: 600; color: {t.text}; }}
.muted {{ color: {t.muted}; }}
.head {{ margin-top: 12px; margin-bottom: 3px; font-weight: 600; color: {t.text}; }}
.accent {{ color: {t.accent}; }}
.error {{ color: {t.error}; }}
td.key {{ color: {t.muted}; padding-right: 10px; white-space: nowrap; }}
td {{ vertical-align: top; }}
a {{ color: {t.accent}; text-decoration: none; }}
</style>"""


__all__ = ["HINT", "DetailsPane", "summary"]
