"""The newsdigest engine: store, news pipeline, digests, scheduling and platform adapters."""
