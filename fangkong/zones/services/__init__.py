"""Writes of the zones app, by sub-domain: designation (with schedules), lifting, checkpoints
and passes, notices."""
