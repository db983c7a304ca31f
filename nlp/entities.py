"""Fast named-entity spotting from capitalisation plus small gazetteers.

underthesea's CRF NER runs ~100 posts/s here, ten times too slow for the default path, so we
take runs of capitalised words and type them with name cues (surnames, titles, org words).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from duluan.core.models import Entity
from nlp.lexicon import LOCATIONS, ORG_CUES, PERSON_TITLES, VI_SURNAMES

_ACRONYM = re.compile(r"^[A-ZĐ]{2,6}$")
_SENT_END = frozenset('.!?…:"“”')
MAX_ENTITIES = 10


_ORG_CUES = frozenset(ORG_CUES)
# An organisation word with no name after it is a common noun: "Công ty thoát nước đã...",
# "Bệnh viện quá tải", "CLB" (the club). The Assembly, the government and the Party alone are
# one body each.
_GENERIC_ORG = _ORG_CUES - {"quốc hội", "chính phủ", "đảng"}
# Kin words: before a name they make a person ("chị Nga", "anh Đức"). Capitalised alone, out of
# respect or at a sentence start, they are never a name ("Anh nói đúng", "Cảm ơn Bác"), nor are
# "Tôi" or "Đi" opening a line. "Anh" is also Britain: a place after a place cue.
_KIN = frozenset(
    [
        "anh",
        "chị",
        "em",
        "cô",
        "chú",
        "bác",
        "bà",
        "ông",
        "cụ",
        "bạn",
        "dì",
        "cậu",
        "thím",
        "mợ",
        "cháu",
        "bé",
    ]
)
_NEVER_ALONE = _KIN | {"tôi", "mình", "con", "đi"}
# Units, specs and currencies written in capitals: never a name ("128 GB", "50 MP", "RON 95")
_UNITS = frozenset(
    [
        "gb",
        "mb",
        "kb",
        "tb",
        "ram",
        "rom",
        "ssd",
        "hdd",
        "hz",
        "ghz",
        "mhz",
        "mp",
        "mah",
        "kw",
        "kwh",
        "w",
        "v",
        "cc",
        "km",
        "kg",
        "cm",
        "mm",
        "ml",
        "fps",
        "ron",
        "usd",
        "vnd",
        "vnđ",
        "eur",
        "jpy",
        "cny",
        "đ",
    ]
)
_PLACE_CUES = frozenset(
    [
        "nước",
        "người",
        "người dân",
        "dân",
        "tại",
        "ở",
        "sang",
        "đến",
        "tới",
        "về",
        "từ",
        "qua",
        "xứ",
        "vương quốc",
        "hoàng gia",
        "nữ hoàng",
        "vua",
        "thủ tướng",
        "chính phủ",
        "ngoại trưởng",
        "đại sứ",
        "đại sứ quán",
        "đội tuyển",
        "tuyển",
        "ngoại hạng",
        "giải",
        "bóng đá",
        "quân đội",
        "báo chí",
        "truyền thông",
    ]
)
# Between items of a list: "Anh" beside a listed country is Britain ("Mỹ, Anh, Pháp", "Anh và Pháp")
_LIST_JOINERS = frozenset([",", "và", "hay", "hoặc", "cùng", "với", "-", "/"])


def _is_cap(word: str) -> bool:
    first = word[:1]
    return first.isupper() and first.isalnum()  # an upper-case letter (or "Ⅻ"), not a digit


def _starts_with_org_cue(low: str) -> bool:
    """`low` is an organisation cue or begins with one followed by a space."""
    if low in _ORG_CUES:
        return True
    at = low.find(" ")
    while at > 0:
        if low[:at] in _ORG_CUES:
            return True
        at = low.find(" ", at + 1)
    return False


def _type(name: str, prev: str) -> str:
    low = name.lower()
    first = low.split(" ")[0]
    if prev.lower() in _KIN and " " not in low and low not in _NEVER_ALONE:
        return "PER"  # "chị Nga", "anh Đức": a person, though Nga and Đức are also countries
    if low in LOCATIONS:
        return "LOC"
    if _starts_with_org_cue(low):
        return "ORG"
    if prev.lower() in PERSON_TITLES or (first in VI_SURNAMES and " " in low):
        return "PER"
    if _ACRONYM.match(name):
        return "ORG"
    return "MISC"


def _is_title(word: str) -> bool:
    """A title before a name: "Bộ trưởng", "Chủ tịch", "Bác sĩ", "ông"."""
    return all(p in PERSON_TITLES for p in word.lower().split(" "))


def _person_like(word: str) -> bool:
    """Capitalised syllables starting with a Vietnamese surname: "Nguyễn Kim Sơn"."""
    parts = word.split(" ")
    return len(parts) > 1 and parts[0].lower() in VI_SURNAMES and all(_is_cap(p) for p in parts)


def _org_word(word: str) -> bool:
    """Starts with an organisation cue: "Công ty ...", "Bộ Y tế" glued by the segmenter."""
    return _starts_with_org_cue(word.lower())


def split_lines(
    words: list[str], text: str, offsets: Sequence[int]
) -> tuple[list[str], frozenset[int]]:
    """The words with any word that spans a line break cut there, and the indices of the words
    that begin a line. `offsets` are where lines begin in `text`, the normalized text the
    words were segmented from: a line break reads as a sentence end."""
    if not offsets:
        return words, frozenset()
    out: list[str] = []
    starts: set[int] = set()
    pending = list(offsets)
    at = 0
    for w in words:
        found = text.find(w, at)
        if found < 0:
            out.append(w)
            continue
        end = found + len(w)
        while pending and pending[0] <= found:
            starts.add(len(out))
            pending.pop(0)
        while pending and pending[0] < end:  # "Messi\nMessi" segmented as one word
            cut = pending.pop(0) - found
            head, w = w[: cut - 1].strip(), w[cut:]
            if head:
                out.append(head)
            starts.add(len(out))
            found += cut
        out.append(w)
        at = end
    return out, frozenset(starts)


def _listed_with_place(words: Sequence[str], i: int) -> bool:
    """words[i] sits in a list beside a place ("Mỹ, Anh, Pháp", "Anh và Pháp")."""
    before = i >= 2 and words[i - 1] in _LIST_JOINERS and words[i - 2].lower() in LOCATIONS
    after = (
        i + 2 < len(words) and words[i + 1] in _LIST_JOINERS and words[i + 2].lower() in LOCATIONS
    )
    return before or after


def entities(words: list[str], starts: Collection[int] = ()) -> list[Entity]:
    """Entities from segmented words (original casing); sentence-initial single words skipped.
    `starts`: indices of words that begin a line (`split_lines`), read as sentence starts."""
    out: list[Entity] = []
    seen: set[str] = set()
    run: list[str] = []
    run_start = 0

    def flush(start: int) -> None:
        while run and run[0].lower() in _UNITS:
            run.pop(0)
            start += 1
        while run and run[-1].lower() in _UNITS:
            run.pop()
        if not run:
            return
        titled = ""
        if len(run) > 1 and _is_title(run[0]) and (" " in run[0] or _person_like(run[1])):
            titled = run.pop(0)
            start += 1
        name = " ".join(run)
        key = name.lower()
        at_sentence_start = start == 0 or words[start - 1] in _SENT_END or start in starts
        single = len(run) == 1 and " " not in run[0]
        if (
            at_sentence_start
            and single
            and not titled
            and not _ACRONYM.match(name)
            and key not in LOCATIONS
        ):
            return
        prev = titled or (words[start - 1] if start > 0 else "")
        pronoun = single and not titled and key in _NEVER_ALONE
        place = key in LOCATIONS and (
            prev.lower() in _PLACE_CUES or _listed_with_place(words, start)
        )
        if pronoun and not place:
            return  # "Anh nói đúng", "Cảm ơn Bác"; but "nước Anh", "tại Anh", "Mỹ và Anh"
        if key not in seen and key not in _GENERIC_ORG and len(name) > 1:
            seen.add(key)
            out.append(Entity(text=name, type=_type(name, prev)))

    for i, w in enumerate(words):
        if i in starts and run:
            flush(run_start)  # a name does not run on across a line break
            run = []
        parts = w.split(" ")
        lead = 0
        while lead < len(parts) and _is_cap(parts[lead]):
            lead += 1
        if (
            run
            and lead == len(parts)
            and (_is_title(w) or (_person_like(w) and not _is_title(run[-1])))
        ):
            flush(run_start)  # a title or a person's name starts a new entity ("Bộ X Nguyễn Y")
            run = []
        if (
            lead == len(parts)
            or (lead >= 1 and _org_word(w))
            or (lead == 1 and run and len(parts) > 1)
        ):
            # whole word: every syllable capitalised, an organisation word ("Bộ Giáo dục và
            # Đào tạo"), or inside a name a compound capitalised on its first syllable only,
            # as Vietnamese writes them ("Ngân hàng Nhà nước", "Sở Giao thông")
            if not run:
                run_start = i
            run.append(w)
        elif lead >= 2 and not run:
            # the segmenter glued a name to the next word ("Quang Hải sút"): keep the name
            run_start = i
            run.append(" ".join(parts[:lead]))
            flush(run_start)
            run = []
        else:
            flush(run_start)
            run = []
    flush(run_start)
    return out[:MAX_ENTITIES]
