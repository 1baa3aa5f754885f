"""Runtime: drives the pure engine, owns clocks and execution records (no ASL rules here)."""
