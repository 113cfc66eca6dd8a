"""Messages the service says in English that the pages show in the reader's language: `t("…", name=…)`
makes a `Text`, the English string that keeps its template and values for `service.i18n.localize`.

The implementation is `responsibility_lists.text`, shared with the list checker, whose findings the
admin pages show the same way (see its docstring).

`N_` marks a Chinese text defined as data (a label, a note the service records) for extraction into
the pages' catalogue, without translating it where it is defined.
"""

from responsibility_lists.text import Text, t

__all__ = ["N_", "Text", "t"]


def N_(text: str) -> str:
    """Mark `text` for extraction without translating it here."""
    return text
