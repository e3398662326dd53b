"""Workshop Archive."""
