"""heaviside's testing toolkit: Step Functions Local mock files, coverage, single-state tests,
cost estimates, and the pytest plugin that puts them in fixtures."""
