"""`make test` calls this first: a clear sentence, not a stack trace, when a service is down.

Usage: python -m config.checkservices DATABASE_URL REDIS_URL
"""

import sys

import dj_database_url
import psycopg
import redis

START_POSTGRES = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
START_REDIS = 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no'


def check_postgres(url: str) -> str | None:
    cfg = dj_database_url.parse(url)
    try:
        # The test run creates its own database; reaching the server is what matters here.
        with psycopg.connect(
            host=cfg["HOST"] or "localhost",
            port=cfg["PORT"] or 5432,
            user=cfg["USER"] or "postgres",
            password=cfg["PASSWORD"] or None,
            dbname="postgres",
            connect_timeout=5,
        ) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return (
            f"PostgreSQL is not reachable at {cfg['HOST']}:{cfg['PORT']} ({exc}).\n"
            f"  Start it with: {START_POSTGRES}"
        )
    return None


def check_redis(url: str) -> str | None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=5).ping()
    except redis.RedisError as exc:
        return f"Redis is not reachable at {url} ({exc}).\n  Start it with: {START_REDIS}"
    return None


def main(argv: list[str]) -> int:
    database_url, redis_url = argv[1], argv[2]
    problems = [p for p in (check_postgres(database_url), check_redis(redis_url)) if p]
    for problem in problems:
        print(f"make test: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
