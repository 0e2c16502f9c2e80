"""In-process fakes of external services (chat platform APIs) for end-to-end tests."""
