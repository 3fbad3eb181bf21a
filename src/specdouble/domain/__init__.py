"""Business rules of each mocked API, free of HTTP."""
