"""Contact details in post text (emails, Vietnamese phone numbers) are personal data no analysis
needs: buy-and-sell and help threads are full of them ("ib mình 0912 345 678"). They are masked
before a post is stored, so a search, an export or a dashboard never shows them."""

from __future__ import annotations

import re

EMAIL_MASK = "[email]"
PHONE_MASK = "[phone]"

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+(?![\w-])")
# a mobile (0 + 9 digits) or landline (02 + 9 digits), or +84 / (+84) instead of the 0, in
# groups split by spaces, dots or dashes: "0912 345 678", "+84 912.345.678", "028-3823-4567"
_PHONE = re.compile(r"(?<![\w+.,])(?:\(?\+84\)?[ .-]?|0)\d(?:[ .-]?\d){8,9}(?![\w])(?![.,]\d)")
_DIGITS = re.compile(r"\d")


def redact_contacts(text: str) -> str:
    """The text with emails and phone numbers masked; unchanged if it has none."""
    if "@" in text:
        text = _EMAIL.sub(EMAIL_MASK, text)
    if len(_DIGITS.findall(text)) >= 9:
        text = _PHONE.sub(PHONE_MASK, text)
    return text
