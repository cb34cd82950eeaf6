"""Graph layout speed and quality (issue 6): 2,000 nodes must lay out in <= 1 s.

`python -m benchmarks.graph_layout [--repeat N] [--sizes 500 2000 5000]`

Two workloads per size:
- `random`: a random DAG of n nodes with about 1.3 n edges, each node drawing one or two inputs
  from the nodes just before it (a geometric distance, as in real networks' graphs);
- `mlp`: the captured graph of an engine MLP (Linear + Tanh layers, with residual adds) deep
  enough to have about n nodes: parameters, AccumulateGrad nodes and op nodes.

For each: the best of N layout times, beside the best time of a plain topological sort of the
same graph (the floor any layout pays) as a ratio, and the edge crossings before and after
crossing reduction.
"""

from __future__ import annotations

import argparse
import random

from benchmarks.timing import best_time
from workbench.graph import Edge, Graph, Node, capture, layout


def random_dag(n: int, seed: int = 0) -> Graph:
    rng = random.Random(seed)
    nodes = {i: Node(i, "op", "OpBackward0", "Op", (8, 8), "float32", None, i) for i in range(n)}
    edges = []
    for j in range(1, n):
        srcs = set()
        for _ in range(1 if rng.random() < 0.7 else 2):
            srcs.add(max(0, j - 1 - int(rng.expovariate(1 / 6))))
        edges += [Edge(s, j, k, (8, 8)) for k, s in enumerate(sorted(srcs))]
    return Graph(nodes, edges, [n - 1])


def mlp_graph(n: int) -> Graph:
    import workbench.engine as torch
    from workbench.engine import nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(8, 8)
            self.act = nn.Tanh()

        def forward(self, x):
            return self.act(self.linear(x)) + x

    torch.manual_seed(0)
    # a block adds 7 nodes: weight, bias, 2 AccumulateGrad, Addmm, Tanh, Add
    net = nn.Sequential(*[Block() for _ in range(max(1, n // 7))])
    loss = net(torch.randn(4, 8)).sum()
    return capture(loss, names={"net": net}, values=False)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 5000])
    args = ap.parse_args(argv)
    print(
        f"{'workload':<8} {'nodes':>6} {'edges':>6} {'layout s':>9} {'toposort s':>10} "
        f"{'ratio':>7} {'crossings before':>17} {'after':>6}"
    )
    for n in args.sizes:
        for name, make in (("random", random_dag), ("mlp", mlp_graph)):
            g = make(n)
            t = best_time(lambda g=g: layout(g), repeat=args.repeat)
            floor = best_time(g.topological_order, repeat=args.repeat)
            lay = layout(g)
            print(
                f"{name:<8} {len(g.nodes):>6} {len(g.edges):>6} {t:>9.3f} {floor:>10.4f} "
                f"{t / floor:>7.0f} {lay.crossings_before:>17} {lay.crossings:>6}"
            )


if __name__ == "__main__":
    main()
