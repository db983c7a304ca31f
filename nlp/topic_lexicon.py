"""Seed words of each news topic: a `<topic_ID>` feature when a segmented word is one of them.

ViCTSD's 825 articles teach the topic head only the words their comments use; these lists
(written for this project from general knowledge of Vietnamese news, no dataset text) let a
word it never saw ("tên lửa", "cầu lông", "WTO") still point to its topic: the head learns one
weight per topic feature from the words it did see. Matching is on lower-cased words as written;
a word typed without diacritics matches a seed's folded form, unless the seed is one accented
syllable: bare "toi", "mua", "duoc" are far more often "tôi", "mua", "được" than "tội", "mưa",
"dược" (until session 15 every "được" fired `<topic_health>` and every "tôi" `<topic_law>`).
Words that are everyday words as written ("sao" why, "anh" you, "ai" who, "kia" that, "tội"
pity) are seeds only inside compounds ("ngôi sao", "nước anh", "tội phạm").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from duluan.core.text import fold

TOPIC_SEEDS: dict[str, tuple[str, ...]] = {
    "health": (
        "bệnh viện",
        "bác sĩ",
        "bệnh nhân",
        "người bệnh",
        "y tế",
        "sức khỏe",
        "vắc xin",
        "vaccine",
        "tiêm chủng",
        "dịch bệnh",
        "ung thư",
        "đột quỵ",
        "tiểu đường",
        "huyết áp",
        "tim mạch",
        "phẫu thuật",
        "điều trị",
        "cấp cứu",
        "nhập viện",
        "thuốc",
        "dinh dưỡng",
        "virus",
        "cúm",
        "sốt xuất huyết",
        "covid",
        "ca nhiễm",
        "xét nghiệm",
        "khám bệnh",
        "y khoa",
        "dược",
        "ngộ độc",
        "béo phì",
        "giấc ngủ",
        "trầm cảm",
        "điều dưỡng",
    ),
    "society": (
        "người dân",
        "chính quyền",
        "ubnd",
        "phường",
        "xã",
        "thành phố",
        "tỉnh",
        "giao thông",
        "ùn tắc",
        "kẹt xe",
        "ngập",
        "lũ",
        "bão",
        "sạt lở",
        "cháy",
        "hỏa hoạn",
        "cứu hộ",
        "cứu nạn",
        "môi trường",
        "rác",
        "ô nhiễm",
        "quy hoạch",
        "giải phóng mặt bằng",
        "tái định cư",
        "công nhân",
        "lao động",
        "cử tri",
        "quốc hội",
        "đại biểu",
        "chính phủ",
        "thủ tướng",
        "bộ trưởng",
        "mưa",
        "nắng nóng",
        "nông dân",
        "hộ nghèo",
        "từ thiện",
        # the Party and the state at home (session 15: "Tổng Bí thư làm việc với Thành ủy" read
        # as business, a Party congress as nothing); single syllables such as "đảng" fold into
        # everyday words ("đang"), so only compounds
        "tổng bí thư",
        "bí thư",
        "chủ tịch nước",
        "bộ chính trị",
        "ban bí thư",
        "đảng bộ",
        "đảng viên",
        "đảng ủy",
        "tỉnh ủy",
        "thành ủy",
        "huyện ủy",
        "hội đồng nhân dân",
        "hđnd",
        "mặt trận tổ quốc",
        "chất vấn",
        "kỳ họp",
        "nhiệm kỳ",
        "huân chương",
        "cán bộ",
        "công chức",
        "biên chế",
        "bầu cử",
        "quốc khánh",
        "thương binh",
        "liệt sĩ",
        "cựu chiến binh",
        "nghĩa vụ quân sự",
        "nhập ngũ",
        "xuất ngũ",
        "giao nhận quân",
        "bộ đội",
        "biên phòng",
        "quân khu",
        "quân đội nhân dân",
        "trường sa",
        "đoàn thanh niên",
        "cải cách hành chính",
    ),
    "entertainment": (
        "ca sĩ",
        "diễn viên",
        "nghệ sĩ",
        "phim",
        "điện ảnh",
        "ca khúc",
        "bài hát",
        "album",
        "mv",
        "liveshow",
        "hoa hậu",
        "người mẫu",
        "showbiz",
        "ngôi sao",
        "sao việt",
        "đạo diễn",
        "phòng vé",
        "rạp",
        "gameshow",
        "truyền hình",
        "sân khấu",
        "kịch",
        "nhạc sĩ",
        "âm nhạc",
        "hài",
        "danh hài",
        "scandal",
        "fan",
        "thời trang",
        "cải lương",
        "concert",
        "nghệ thuật",
    ),
    "science-tech": (
        "công nghệ",
        "khoa học",
        "nhà khoa học",
        "máy tính",
        "phần mềm",
        "phần cứng",
        "internet",
        "điện thoại",
        "smartphone",
        "iphone",
        "android",
        "ứng dụng",
        "app",
        "trí tuệ nhân tạo",
        "chatgpt",
        "robot",
        "vệ tinh",
        "tàu vũ trụ",
        "spacex",
        "phi hành gia",
        "kính viễn vọng",
        "trạm vũ trụ",
        "sao hỏa",
        "mặt trăng",
        "vũ trụ",
        "nasa",
        "hành tinh",
        "thiên văn",
        "loài",
        "hóa thạch",
        "khủng long",
        "nghiên cứu",
        "chip",
        "laptop",
        "mạng xã hội",
        "facebook",
        "google",
        "tin tặc",
        "hacker",
        "dữ liệu",
        "an ninh mạng",
        "virus máy tính",
        "wifi",
        "5g",
        "camera",
        "pin",
    ),
    "education": (
        "học sinh",
        "sinh viên",
        "giáo viên",
        "giảng viên",
        "thầy cô",
        "trường học",
        "nhà trường",
        "đại học",
        "tuyển sinh",
        "điểm chuẩn",
        "thí sinh",
        "kỳ thi",
        "thi cử",
        "tốt nghiệp",
        "học phí",
        "học bổng",
        "du học",
        "sách giáo khoa",
        "chương trình học",
        "lớp học",
        "học thêm",
        "giáo dục",
        "bộ giáo dục",
        "phụ huynh",
        "mầm non",
        "tiểu học",
        "thpt",
        "thcs",
        "luận văn",
        "tiến sĩ",
        "thạc sĩ",
        "bằng cấp",
        "môn học",
    ),
    "law": (
        "công an",
        "cảnh sát",
        "khởi tố",
        "bắt giữ",
        "bắt giam",
        "tạm giam",
        "bị can",
        "bị cáo",
        "tòa án",
        "tòa",
        "xét xử",
        "phiên tòa",
        "tuyên án",
        "án tù",
        "chung thân",
        "tử hình",
        "luật sư",
        "viện kiểm sát",
        "điều tra",
        "lừa đảo",
        "chiếm đoạt",
        "trộm",
        "cướp",
        "giết người",
        "ma túy",
        "đánh bạc",
        "truy nã",
        "vi phạm",
        "xử phạt",
        "tham nhũng",
        "hối lộ",
        "pháp luật",
        "luật",
        "tội phạm",
        "phạm tội",
        "tội danh",
        "nghi phạm",
        "hung thủ",
    ),
    "business": (
        "kinh tế",
        "kinh doanh",
        "doanh nghiệp",
        "công ty",
        "ngân hàng",
        "lãi suất",
        "tín dụng",
        "chứng khoán",
        "cổ phiếu",
        "nhà đầu tư",
        "đầu tư",
        "trái phiếu",
        "vốn",
        "lợi nhuận",
        "doanh thu",
        "xuất khẩu",
        "nhập khẩu",
        "thuế",
        "lạm phát",
        "gdp",
        "giá vàng",
        "tỷ giá",
        "usd",
        "bất động sản",
        "nhà đất",
        "chung cư",
        "giá xăng",
        "xăng dầu",
        "thị trường",
        "tiêu dùng",
        "siêu thị",
        "wto",
        "thương mại",
        "cổ đông",
        "phá sản",
        "startup",
        "tỷ đồng",
    ),
    "vehicles": (
        "ô tô",
        "xe hơi",
        "xe máy",
        "xe tay ga",
        "xe điện",
        "xe buýt",
        "xe tải",
        "suv",
        "sedan",
        "động cơ",
        "mã lực",
        "phân khối",
        "hộp số",
        "lốp",
        "phanh",
        "túi khí",
        "đại lý",
        "triệu hồi",
        "lái thử",
        "lăn bánh",
        "trước bạ",
        "đăng kiểm",
        "biển số",
        "tài xế",
        "lái xe",
        "toyota",
        "honda",
        "vinfast",
        "hyundai",
        "mazda",
        "mercedes",
        "bmw",
        "yamaha",
        "xăng",
        "nhiên liệu",
        "bằng lái",
    ),
    "world": (
        "thế giới",
        "quốc tế",
        "mỹ",
        "trung quốc",
        "nga",
        "ukraine",
        "nhật bản",
        "hàn quốc",
        "triều tiên",
        "châu âu",
        "eu",
        "nước anh",
        "vương quốc anh",
        "london",
        "pháp",
        "đức",
        "ấn độ",
        "israel",
        "trung đông",
        "liên hợp quốc",
        "nato",
        "tổng thống",
        "thủ tướng",
        "ngoại trưởng",
        "bầu cử",
        "biểu tình",
        "chiến tranh",
        "xung đột",
        "quân đội",
        "trừng phạt",
        "ngoại giao",
        "đại sứ",
        "khủng bố",
        "tị nạn",
        "động đất",
        "sóng thần",
        "washington",
        "bắc kinh",
        "moscow",
        "tên lửa",
        "quân sự",
        "hải quân",
        "không quân",
        "tàu chiến",
        "chiến hạm",
        "tàu ngầm",
        "tàu sân bay",
        "tập trận",
        "vũ khí",
        "tiêm kích",
        "chiến đấu cơ",
        "máy bay chiến đấu",
        "binh sĩ",
        "đầu đạn",
        "phòng không",
        "xe tăng",
        "lầu năm góc",
        "nhà trắng",
        "điện kremlin",
        "kremlin",
        "putin",
        "trump",
        "biden",
        "tập cận bình",
        "zelensky",
        "netanyahu",
        "iran",
        "iraq",
        "syria",
        "afghanistan",
        "pakistan",
        "đài loan",
        "philippines",
        "ba lan",
        "phần lan",
        "thụy điển",
        "thổ nhĩ kỳ",
        "ai cập",
        "venezuela",
        "gaza",
        "hamas",
        "palestine",
        "asean",
        "g7",
        "g20",
        "canada",
        "australia",
        "úc",
        "tây ban nha",
        "hà lan",
        "châu phi",
        "myanmar",
        "thái lan",
        "lào",
        "nam phi",
        "bồ đào nha",
        "thụy sĩ",
        "hy lạp",
        "na uy",
        "đan mạch",
        "ả rập",
        "ả rập xê út",
        "châu mỹ",
        "nam mỹ",
        "mỹ latin",
        "đông nam á",
        "châu á",
        "liên minh châu âu",
        "quốc hội mỹ",
        "tân hoa xã",
        "reuters",
        "afp",
    ),
    "sports": (
        "bóng đá",
        "cầu thủ",
        "đội tuyển",
        "huấn luyện viên",
        "hlv",
        "trận đấu",
        "bàn thắng",
        "ghi bàn",
        "thủ môn",
        "tiền đạo",
        "hậu vệ",
        "tiền vệ",
        "world cup",
        "euro",
        "sea games",
        "olympic",
        "v-league",
        "ngoại hạng",
        "champions league",
        "vô địch",
        "chung kết",
        "bán kết",
        "huy chương",
        "vận động viên",
        "vđv",
        "tennis",
        "quần vợt",
        "cầu lông",
        "bóng chuyền",
        "bóng rổ",
        "điền kinh",
        "bơi lội",
        "võ",
        "câu lạc bộ",
        "sân vận động",
        "penalty",
        "messi",
        "ronaldo",
        "park hang-seo",
        "trọng tài",
    ),
}

AMBIGUOUS_BARE = frozenset(
    {
        "thay co",  # thấy có, thầy có
        "hung thu",  # hứng thú
        "cong nhan",  # công nhận
        "thi cu",  # thì cứ
        "co dong",  # có động, có dòng
        "ve tinh",  # về tình, về tính
        "tin dung",  # tin dùng
        "ma luc",  # mà lúc
        "bi can",  # bị cần, bị cắn
        "tien ve",  # tiền về, tiên về
        "an do",  # ăn đồ
        "ky thi",  # kỳ thì
        "hoi lo",  # hơi lo
        "toi danh",  # tôi đánh, tôi đành
        "dang bo",  # đáng bỏ, đang bỏ
        "thi sinh",  # thì sinh
        "can bo",  # cần bổ
        "trong tai",  # trong tài
        "hai quan",  # hải quan (customs), hai quan
        "khong quan",  # không quan (trọng, tâm)
        "xe tang",  # xe tang (hearse)
        "ba lan",  # ba lần
        "thuy dien",  # thủy điện
        "phong khong",  # phòng không (an empty room)
    }
)
"""Compound seeds whose bare spelling is, in the comments we hold, as often or more often an
everyday phrase ("thay co" is mostly "thấy có", "hoi lo" "hơi lo"): matched only as written."""

_EXACT: dict[str, tuple[str, ...]] = {}  # lower-case seed as written
_BARE: dict[str, tuple[str, ...]] = {}  # folded seed, for words typed without diacritics
for _topic, _words in TOPIC_SEEDS.items():
    for _w in _words:
        _exact = _w.lower()
        _EXACT[_exact] = (*_EXACT.get(_exact, ()), _topic)
        _key = fold(_exact)
        if _key in AMBIGUOUS_BARE:
            continue
        if " " in _key or _key == _exact:  # a compound, or a word with no diacritics anyway
            _BARE[_key] = (*_BARE.get(_key, ()), _topic)


@lru_cache(maxsize=1 << 16)
def _forms(word: str) -> tuple[str, str]:
    """(lower case, folded) of a word (cached: folding every word costs ~5 % of the path)."""
    lower = word.lower()
    return lower, fold(lower)


def _lookup(lower: str, folded: str) -> tuple[str, ...] | None:
    return _BARE.get(folded) if lower == folded else _EXACT.get(lower)


def topic_seed_features(words: Sequence[str]) -> list[str]:
    """`<topic_ID>` per seed word (or adjacent word pair) among the segmented words."""
    forms = [_forms(w) for w in words]
    out: list[str] = []
    for i, (lower, folded) in enumerate(forms):  # words, and pairs the segmenter left apart
        topics = _lookup(lower, folded)
        if topics:
            out.extend(f"<topic_{t}>" for t in topics)
        if i:
            prev_lower, prev_folded = forms[i - 1]
            topics = _lookup(f"{prev_lower} {lower}", f"{prev_folded} {folded}")
            if topics:
                out.extend(f"<topic_{t}>" for t in topics)
    return out


_VIETNAMESE_SYLLABLE = re.compile(
    r"(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(ng|nh|ch|[cmnptk])?"
)
_PARTS = re.compile(r"[\s_-]+")
_LETTERS_ONLY = re.compile(r"[^\W\d_]+(?:[\s_-][^\W\d_]+)*")
_VOWEL = re.compile(r"[aeiouy]")
_SENTENCE_END = frozenset('.!?…:;"“”')


@lru_cache(maxsize=1 << 15)
def _foreign(word: str) -> bool:
    """A capitalised word (not an all-caps acronym, no digits) with a part no Vietnamese
    syllable can spell ("Kelantan", "Trump", "Java"): a place, person or brand abroad."""
    if not word[:1].isupper() or word.isupper() or not _LETTERS_ONLY.fullmatch(word):
        return False
    return any(
        _VOWEL.search(part) and not _VIETNAMESE_SYLLABLE.fullmatch(part)
        for part in _PARTS.split(fold(word))
        if part
    )


def foreign_name_features(words: Sequence[str]) -> list[str]:
    """`<foreign_name>` per foreign-spelled name inside a sentence: news from abroad names
    places and people no seed list can hold ("Cháy chợ ở Mandalay" is world news, not a
    domestic fire). A sentence's first word is skipped: "Shop", "Camera" open comments."""
    out: list[str] = []
    first = True
    for w in words:
        if w in _SENTENCE_END:
            first = True
            continue
        if not first and _foreign(w):
            out.append("<foreign_name>")
        first = False
    return out
