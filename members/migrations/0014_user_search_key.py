"""The member search's key (members.search): the function that computes it on PostgreSQL, the
column the database keeps with it, and a trigram index on that column.

The column is generated: adding it computes it for every existing user (PostgreSQL rewrites
members_user, some seconds for 100,000 users; SQLite copies the table), so nothing needs a
backfill. On SQLite the function comes from Python on every connection (members.apps).

The function body is members.search.search_fold as it was when this was written, frozen as
migrations are: NFKD, the combining accents U+0300-U+036F removed, PLAIN_SPELLINGS spelt out
(before lower() so that a database whose ctype lower-cases ASCII only still folds them), lower
case. A change to search_fold needs a new migration replacing the function;
tests/console/test_search_accents.py fails until then.
"""

from django.db import migrations, models

FUNCTION = "tessera_person_search_key"
INDEX = "members_user_search_key_trgm"

PLAIN_SPELLINGS = {
    "ß": "ss", "ẞ": "ss", "Æ": "ae", "æ": "ae", "Œ": "oe", "œ": "oe", "Ø": "o", "ø": "o",
    "Ł": "l", "ł": "l", "Đ": "d", "đ": "d", "Ð": "d", "ð": "d", "Þ": "th", "þ": "th",
    "\u0131": "i", "Ħ": "h", "ħ": "h", "Ŧ": "t", "ŧ": "t",
}


def _body() -> str:
    key = "coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' || coalesce(email, '')"
    folded = f"regexp_replace(normalize({key}, NFKD), '[\\u0300-\\u036f]', '', 'g')"
    for letter, spelling in PLAIN_SPELLINGS.items():
        folded = f"replace({folded}, '{letter}', '{spelling}')"
    return f"lower({folded})"


def function_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # IMMUTABLE (it reads nothing but its arguments): a generated column and an index need it.
    # normalize() needs a UTF8 database.
    schema_editor.execute(
        f"CREATE OR REPLACE FUNCTION {FUNCTION}(first_name text, last_name text, email text) "
        f"RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT {_body()} $$"
    )


def function_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}(text, text, text)")


def index_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # A trusted extension since PostgreSQL 13: the database's owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX {INDEX} ON members_user USING gin (search_key gin_trgm_ops)"
    )


def index_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0013_staff_actions_automations_referrals'),
    ]

    operations = [
        migrations.RunPython(function_create, function_drop),
        migrations.AddField(
            model_name='user',
            name='search_key',
            field=models.GeneratedField(db_persist=True, expression=models.Func(models.F('first_name'), models.F('last_name'), models.F('email'), function='tessera_person_search_key', output_field=models.TextField()), output_field=models.TextField(), verbose_name='search key'),
        ),
        migrations.RunPython(index_create, index_drop),
    ]
