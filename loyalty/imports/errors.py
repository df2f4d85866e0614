"""The import's refusals, apart so that the readers of the file and of its cells
(`file_format`, `cells`) raise them without importing the run (`base`), which imports them."""


class ImportRefused(Exception):
    """The file cannot be read as this kind of import (bad header, not CSV, in neither UTF-8 nor
    Windows-1252, a separator it cannot tell)."""


class RowInvalid(Exception):
    """A bad row; the message is the reason shown with the line number."""
