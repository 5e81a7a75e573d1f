"""A fast password hasher for tests that counts how often a password is hashed."""

import threading

from django.contrib.auth.hashers import MD5PasswordHasher


class CountingPasswordHasher(MD5PasswordHasher):
    """MD5 (fast; the strength is not what tests test) plus a count of hash computations."""

    algorithm = "counting_md5"
    _lock = threading.Lock()
    calls = 0

    @classmethod
    def reset(cls) -> None:
        with cls._lock:
            cls.calls = 0

    def encode(self, password: str, salt: str) -> str:
        with self._lock:
            type(self).calls += 1
        return super().encode(password, salt)
