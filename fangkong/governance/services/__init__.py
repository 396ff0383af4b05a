"""Writes of the governance app, by sub-domain: intake, the workflow, clocks, the sweep."""
