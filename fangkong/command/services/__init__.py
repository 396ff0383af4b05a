"""Writes of the command centre, by sub-domain: incidents, bulletins, notifications, outbox."""
