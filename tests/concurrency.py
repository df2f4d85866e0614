"""Real concurrency for the proofs that need it: threads, each with its own database connection,
released together at a barrier. Meaningful on PostgreSQL (row locks, unique indexes)."""

import threading

from django.db import connection


def run_together(count: int, work) -> list:
    """Run work(index) in `count` threads released at once; results or exceptions, in order."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return results
