"""The LP of a network as data: its rows, objective weights, the min-cost-flow graph, duals and solutions."""
