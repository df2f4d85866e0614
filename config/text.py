"""Text PostgreSQL cannot store: a NUL character (text columns refuse 0x00) and lone UTF-16
surrogates (not encodable as UTF-8). Input carrying either is refused at the edge (the request
middleware, the API's JSON parser) instead of failing as a 500 in the database driver."""

import re

# A NUL, or a surrogate code point (U+D800-U+DFFF): in a decoded str these are always lone,
# since a valid pair decodes to one astral character.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def is_unstorable(text: str) -> bool:
    return UNSTORABLE.search(text) is not None


def has_unstorable_text(data) -> bool:
    """Whether any string in parsed JSON (keys included) is unstorable.

    Walked with a stack, not recursion: the parser accepts nesting as deep as Python's own limit.
    """
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if is_unstorable(value):
                return True
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False
