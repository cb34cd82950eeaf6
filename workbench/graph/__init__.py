"""Autograd graphs as plain data (nodes, edges, saved tensors, module scopes) and layout. No Qt."""
