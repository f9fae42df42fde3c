"""The engine: load, check, compile, evaluate and render one rulebook; it imports nothing above it."""
