"""The news pipeline: fetching, parsing, cleaning and dedupe keys for feed articles."""
