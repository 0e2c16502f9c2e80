"""Timing and delivery: when digests are due, the outbox, and what happens when sends fail."""
