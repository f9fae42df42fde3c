"""One way to write any report."""
