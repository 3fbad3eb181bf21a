"""The real redis-server fixtures (tests/redisserver.py) for this folder's tests."""

from tests.redisserver import own_server, redis_server, redis_store  # noqa: F401
