"""Finding a person by what staff type at the till: names and email compared *folded* (accents
dropped, lower case), so that "garcia" finds García, "NUÑEZ" and "nunez" find Núñez and "Muller"
finds Müller, on PostgreSQL (production, tests) and on SQLite (`make run`) alike.

The folded text is a stored column, `User.search_key`, that the *database* computes whenever a
row is written (a generated column): names and emails are written by the members services, but
also by the admin, allauth's email management, the bulk import (`bulk_create`, no `save()`),
erasure and test fixtures, and a copy maintained by our code goes stale (or keeps an erased
name) as soon as one writer forgets it. The database cannot forget. Adding the column computes
it for every existing row, so there is nothing to backfill.

It is computed by one SQL function, `tessera_person_search_key(first_name, last_name, email)`,
defined the same way on both databases: NFKD decomposition, the combining accents U+0300-U+036F
removed, the letters of PLAIN_SPELLINGS spelt out, lower case.
- SQLite: `person_search_key` below, registered on every connection (members.apps).
- PostgreSQL: an IMMUTABLE SQL function of the migration members.0014 (normalize(),
  regexp_replace(), replace(), lower()), about 6 µs a row, paid only when a user is written;
  with a trigram GIN index (pg_trgm) on the column, so that `search_key LIKE '%garcia%'` is an
  index scan. A test checks that both give the same key for every Latin letter.

With 100,000 members a rare name is found in 3 ms (15 ms without the index, 57 ms with the
`icontains` on three columns this replaces); bench/member_search.py has the figures.

Not PostgreSQL's `unaccent`: its rules are a list of its own, not Unicode's decompositions, so
the two databases would find different people, and `unaccent()` is only STABLE (it reads its
dictionary), which neither an index nor a generated column accepts without a wrapper. Nor the
key computed in each query (a function in the WHERE clause, no column): every word the index
cannot narrow (two letters, a number) would compute it for all 100,000 users, some 600 ms.
"""

from __future__ import annotations

import re
import unicodedata

from django.db.models import F, Func, TextField

SEARCH_KEY_FUNCTION = "tessera_person_search_key"

# The accents NFKD separates from Latin letters.
_COMBINING_ACCENTS = re.compile("[\u0300-\u036f]")

# Letters with no accent to separate, as they are written on a keyboard without them.
PLAIN_SPELLINGS = {
    "ß": "ss",
    "ẞ": "ss",
    "Æ": "ae",
    "æ": "ae",
    "Œ": "oe",
    "œ": "oe",
    "Ø": "o",
    "ø": "o",
    "Ł": "l",
    "ł": "l",
    "Đ": "d",
    "đ": "d",
    "Ð": "d",
    "ð": "d",
    "Þ": "th",
    "þ": "th",
    "\u0131": "i",  # the Turkish dotless i
    "Ħ": "h",
    "ħ": "h",
    "Ŧ": "t",
    "ŧ": "t",
}
_PLAIN_TABLE = str.maketrans(PLAIN_SPELLINGS)


def search_fold(text: str | None) -> str:
    """`text` as the search compares it: "Núñez" is "nunez", "Strauß" is "strauss"."""
    bare = _COMBINING_ACCENTS.sub("", unicodedata.normalize("NFKD", text or ""))
    return bare.translate(_PLAIN_TABLE).lower()


def person_search_key(first_name: str | None, last_name: str | None, email: str | None) -> str:
    """What a typed word is looked for in: first name, last name and email, folded, separated
    by spaces (a typed word has none, so it never matches across two of them)."""
    return search_fold(f"{first_name or ''} {last_name or ''} {email or ''}")


def person_search_key_expression() -> Func:
    """The SQL of `User.search_key` (a plain Func, so that the migration states it as it is)."""
    return Func(
        F("first_name"),
        F("last_name"),
        F("email"),
        function=SEARCH_KEY_FUNCTION,
        output_field=TextField(),
    )


def search_functions_register(sender, connection, **kwargs) -> None:
    """On every new SQLite connection, the search key as a deterministic function: SQLite
    computes the generated column with it, so every write of a user needs it (PostgreSQL has
    it from the migration). A tool that opens the file without Tessera can read users but not
    write them."""
    if connection.vendor != "sqlite":
        return
    connection.connection.create_function(
        SEARCH_KEY_FUNCTION, 3, person_search_key, deterministic=True
    )
