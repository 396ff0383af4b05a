"""Writes of the services app, by sub-domain: requests and their clocks, care, trips."""
