"""How a citizen's appeal number and query code are read, and how often they may be guessed.

Citizens type on phones with Chinese input methods: full-width digits (１２３４５６), spaces, a
lower-case "gx". Both are read in NFKC form (full-width folded to ASCII), without spaces, the
number in upper case. Only ASCII digits then make a query code.

The code is six digits and numbers are sequential, so the per-client limit alone would let a
crowd of clients guess one appeal's code. Wrong guesses are also counted per appeal number
(`MINYI_PUBLIC_GUESS_RATE_LIMIT`): each answer "not found" to a number and code costs one, on
the API's lookup and rating and on the portal's track form alike. A request with the right code
is never held back by them: whoever guesses at a number cannot lock its citizen out.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flask import current_app, request
from marshmallow import ValidationError, fields

from service.extensions import limiter
from service.fields import hyphenated
from service.text import t

CODE = re.compile(r"[0-9]{6}")
#: The scope the number's wrong guesses share across the routes that take a code.
GUESS_SCOPE = "citizen-code-guesses"


#: A whole number typed without its hyphen (GX202611220042): prefix and date, then the sequence.
_UNBROKEN = re.compile(r"([A-Z]+[0-9]{8})([0-9]{4,6})")


def normal_number(text: str) -> str:
    """The number as stored: "gx20261122-0042", "GX20261122—0042" and "GX202611220042" (read out
    over the phone, or copied from a text message, without the hyphen) are GX20261122-0042."""
    number = hyphenated(re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper())
    return _UNBROKEN.sub(r"\1-\2", number) if _UNBROKEN.fullmatch(number) else number


#: The URL variables that name an appeal by its number (`/api/v1/appeals/<number>`, the pages'
#: `/centre/appeals/<number>`, a duplicate's `<other>`): every route's, whatever blueprint it is in.
NUMBER_URL_VARIABLES = ("number", "other")


def read_numbers_in_url(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Read the appeal numbers of a URL as `normal_number` reads them, before any view sees them:
    /api/v1/appeals/gx20261121-0042 finds GX20261121-0042, as the search boxes do. Numbers are
    stored in upper case; a URL typed or copied by hand, or built by an integration from a number
    it lower-cased, found nothing (404) while the same number typed into a box was found.

    A url_value_preprocessor of the app, so every route with a `<number>` (the API's, the pages',
    the portal's) reads it alike, and `request.view_args` holds the number as stored (the 409's
    `current`, the guess limit's key)."""
    if not values:
        return
    for name in NUMBER_URL_VARIABLES:
        if isinstance(values.get(name), str):
            values[name] = normal_number(values[name])


def normal_code(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def is_code(text: str) -> bool:
    return CODE.fullmatch(text) is not None


class QueryCode(fields.String):
    """The 6-digit query code, full-width digits read as ASCII ones."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        code = normal_code(super()._deserialize(value, attr, data, **kwargs))
        if not is_code(code):
            raise ValidationError(t("6 digits."))
        return code


class AppealNumber(fields.String):
    """An appeal number as staff type it (并案's master): read as `normal_number` reads it, so
    " gx20261207-0008 " or full-width digits find GX20261207-0008."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return normal_number(super()._deserialize(value, attr, data, **kwargs))


def _guess_limit() -> str:
    return current_app.config["PUBLIC_GUESS_RATE_LIMIT"]


def _given_number() -> str:
    return normal_number(str((request.view_args or {}).get("number") or request.form.get("number", "")))[:32]


def _guessed_number() -> str:
    return f"number:{_given_number()}"


def _given_code() -> str:
    body: Any = None
    if request.is_json:
        try:
            body = request.get_json(silent=True)
        except RecursionError:  # too deep: the API's parser refuses it with 400 next
            body = None
    code = request.args.get("code") or request.form.get("code")
    if code is None and isinstance(body, dict):
        code = body.get("code")
    return normal_code(str(code or ""))


def _proves_the_code() -> bool:
    """The request carries the right code for its number: not a guess (the limit lets it through)."""
    from service.appeals.public_api import find_for_citizen  # (it imports this module)
    from service.errors import NotFound

    number, code = _given_number(), _given_code()
    if not number or not is_code(code):
        return False
    try:
        find_for_citizen(number, code)  # the view's own lookup: the appeal stays in the session
    except NotFound:
        return False
    return True


#: Apply to every route that answers 404 for a wrong number or code.
guess_limit = limiter.shared_limit(
    _guess_limit,
    scope=GUESS_SCOPE,
    key_func=_guessed_number,
    exempt_when=_proves_the_code,
    deduct_when=lambda response: response.status_code == 404,
)
