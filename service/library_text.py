"""The English messages the libraries behind the JSON API say, listed so they have Chinese too.

werkzeug (the descriptions of its HTTP errors), marshmallow (its fields' and schemas' fixed
messages) and webargs (a body that is not JSON) make these messages themselves, as plain English.
The error envelope (service/errors.py) says them as they are in English and looks them up, text as
it is, in the `errors` catalogue for a client that reads Chinese: listing each here with `t` is how
extraction (`pybabel extract -k t`) keeps its Chinese entry. Nothing reads these tuples at run time.

marshmallow's messages with values ("Must be one of: {choices}.", "Length must be between …") come
from `service.validate` as `Text`; the ones here have none. tests/web/test_messages.py checks that
every message a field of the service's schemas can say, and the werkzeug descriptions below, are
the libraries' current texts and have a Chinese entry.
"""

from __future__ import annotations

from service.text import t

#: werkzeug's descriptions of the errors the API answers with them as they are (an unknown URL,
#: a method a URL does not take, a request werkzeug cannot read).
WERKZEUG = (
    t("The browser (or proxy) sent a request that this server could not understand."),
    t(
        "The requested URL was not found on the server. If you entered the URL manually please check "
        "your spelling and try again."
    ),
    t("The method is not allowed for the requested URL."),
)

#: marshmallow's fixed messages, of the fields the schemas use and of the schemas themselves.
MARSHMALLOW = (
    t("Missing data for required field."),
    t("Field may not be null."),
    t("Invalid value."),
    t("Not a valid string."),
    t("Not a valid integer."),
    t("Not a valid number."),
    t("Number too large."),
    t("Special numeric values (nan or infinity) are not permitted."),
    t("Not a valid boolean."),
    t("Not a valid email address."),
    t("Not a valid datetime."),
    t("Not a valid aware datetime."),
    t("Not a valid date."),
    t("Not a valid list."),
    t("Not a valid mapping type."),
    t("Invalid type."),
    t("Invalid input type."),
    t("Unknown field."),
    t("Not a valid utf-8 string."),
)

#: webargs' answer to a body that does not parse as JSON (400).
WEBARGS = (t("Invalid JSON body."),)
