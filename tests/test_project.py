"""Project-level promises: migrations match the models, make test explains a missing service."""

import pytest
from django.core.management import call_command

from config.checkservices import check_postgres, check_redis, main


@pytest.mark.django_db
def test_models_and_migrations_agree():
    # Raises SystemExit(1) when a model change has no migration.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_missing_postgres_is_explained_with_the_command_that_starts_it():
    problem = check_postgres("postgres://postgres@127.0.0.1:1/tessera")
    assert problem is not None
    assert "PostgreSQL is not reachable" in problem
    assert "pg_ctlcluster" in problem


def test_missing_redis_is_explained_with_the_command_that_starts_it():
    problem = check_redis("redis://127.0.0.1:1/0")
    assert problem is not None
    assert "redis-server --daemonize yes" in problem


def test_service_check_exits_non_zero_and_prints_no_traceback(capsys):
    dead = ["checkservices", "postgres://postgres@127.0.0.1:1/x", "redis://127.0.0.1:1/0"]
    assert main(dead) == 1
    err = capsys.readouterr().err
    assert err.count("make test:") == 2
    assert "Traceback" not in err
