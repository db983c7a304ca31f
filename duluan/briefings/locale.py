"""Vietnamese and English wording, numbers and dates for briefings.

Vietnamese conventions: `1.234,5`, `31,2%`, `28/11/2026`, weekdays `Thứ Hai` … `Chủ Nhật`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from nlp.lexicon import TOPIC_NAMES

Lang = Literal["vi", "en"]
LANGS: tuple[Lang, ...] = ("vi", "en")

_WEEKDAYS = {
    "vi": ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

SENTIMENT_NAMES = {
    "vi": {"negative": "tiêu cực", "neutral": "trung lập", "positive": "tích cực"},
    "en": {"negative": "negative", "neutral": "neutral", "positive": "positive"},
}

TEXT: dict[str, dict[Lang, str]] = {
    "title": {"vi": "Bản tin dư luận", "en": "Public-opinion briefing"},
    "watchlist": {"vi": "Danh sách theo dõi", "en": "Watchlist"},
    "query": {"vi": "Truy vấn", "en": "Query"},
    "period": {"vi": "Kỳ báo cáo", "en": "Period"},
    "previous": {"vi": "Kỳ trước", "en": "Previous period"},
    "before": {"vi": "Kỳ trước", "en": "Before"},
    "generated": {"vi": "Tạo lúc", "en": "Generated"},
    "timezone": {"vi": "Múi giờ", "en": "Time zone"},
    "summary": {"vi": "Tóm tắt", "en": "Summary"},
    "posts": {"vi": "Bài viết", "en": "Posts"},
    "negative_share": {"vi": "Tỷ lệ tiêu cực", "en": "Negative share"},
    "corrected": {"vi": "Hiệu chỉnh sai số mô hình", "en": "Corrected for model error"},
    "sampling": {"vi": "Khoảng lấy mẫu 90 %", "en": "90 % sampling interval"},
    "corrected_note": {
        "vi": "Tỷ lệ hiệu chỉnh: ước tính sau khi trừ các lỗi đã biết của mô hình cảm xúc "
        "(ma trận nhầm lẫn đo trên dữ liệu ngoài miền), kèm khoảng tin cậy 90 %.",
        "en": "Corrected shares: estimates after removing the sentiment model's known errors "
        "(its confusion matrix measured on unseen domains), with a 90 % interval.",
    },
    "volume_chart": {
        "vi": "Số bài viết theo thời gian, chia theo cảm xúc",
        "en": "Posts over time, by sentiment",
    },
    "negshare_chart": {
        "vi": "Tỷ lệ tiêu cực theo thời gian (nét đứt: trung bình kỳ trước)",
        "en": "Negative share over time (dashed: previous-period average)",
    },
    "changes": {"vi": "Thay đổi so với kỳ trước", "en": "What changed since the previous period"},
    "sentiment": {"vi": "Cảm xúc", "en": "Sentiment"},
    "topics": {"vi": "Chủ đề nổi bật", "en": "Top topics"},
    "topic": {"vi": "Chủ đề", "en": "Topic"},
    "emerging": {"vi": "Từ khóa nổi lên", "en": "Emerging terms"},
    "term": {"vi": "Từ khóa", "en": "Term"},
    "sources": {"vi": "Nguồn hàng đầu", "en": "Top sources"},
    "source": {"vi": "Nguồn", "en": "Source"},
    "spikes": {"vi": "Các đợt tăng đột biến tiêu cực", "en": "Notable negative spikes"},
    "no_spikes": {
        "vi": "Không có đợt tăng đột biến tiêu cực đáng kể trong kỳ.",
        "en": "No notable negative spike in this period.",
    },
    "no_emerging": {
        "vi": "Không có từ khóa nào tăng rõ rệt so với kỳ trước.",
        "en": "No term rose clearly against the previous period.",
    },
    "no_posts": {"vi": "Không có bài viết nào trong kỳ.", "en": "No posts in this period."},
    "expected": {"vi": "Dự kiến", "en": "Expected"},
    "when": {"vi": "Thời điểm", "en": "When"},
    "negative_posts": {"vi": "Bài tiêu cực", "en": "Negative posts"},
    "count": {"vi": "Số bài", "en": "Posts"},
    "share": {"vi": "Tỷ lệ", "en": "Share"},
    "change": {"vi": "Thay đổi", "en": "Change"},
    "score": {"vi": "Điểm z", "en": "z-score"},
    "samples": {"vi": "Bài viết mẫu", "en": "Sample posts"},
    "caveats": {"vi": "Phương pháp và lưu ý", "en": "Method and caveats"},
    "coverage": {
        "vi": "Độ phủ theo nguồn (toàn bộ dữ liệu)",
        "en": "Coverage by source (all data)",
    },
    "silent": {"vi": "Nguồn im lặng trong kỳ", "en": "Sources silent in the period"},
    "none": {"vi": "không có", "en": "none"},
    "model_accuracy": {"vi": "Độ chính xác của mô hình", "en": "Model accuracy"},
    "new": {"vi": "mới", "en": "new"},
    "page": {"vi": "Trang", "en": "Page"},
    "pp": {"vi": "điểm %", "en": "pp"},
}

CAVEATS: dict[Lang, list[str]] = {
    "vi": [
        "Cảm xúc và chủ đề do mô hình máy tự động gán cho từng bài; sai số của mô hình "
        "cộng dồn vào các con số tổng hợp.",
        "Bài viết được tính theo thời điểm đăng (created_at), theo múi giờ của bản tin.",
        "Từ khóa nổi lên: so sánh tỷ lệ bài viết chứa từ khóa giữa kỳ này và kỳ trước "
        "(điểm z theo nhiễu Poisson); từ khóa do NLP trích xuất.",
        "Chỉ gồm nội dung công khai mà hệ thống thu thập được; nguồn bị lỗi hoặc im lặng "
        "làm giảm số liệu.",
    ],
    "en": [
        "Sentiment and topics are assigned to each post by machine models; their errors "
        "carry into every aggregate.",
        "Posts are counted by creation time (created_at), in the briefing's time zone.",
        "Emerging terms compare the share of posts mentioning a term in this period with the "
        "previous one (z-score against Poisson noise); terms are the NLP keywords.",
        "Only public content the system collected is included; a broken or silent source "
        "lowers the figures.",
    ],
}


def t(key: str, lang: Lang) -> str:
    """The wording of `key` in `lang` (English if missing)."""
    entry = TEXT[key]
    return entry.get(lang) or entry["en"]


def _group(digits: str, sep: str) -> str:
    out = []
    while len(digits) > 3:
        out.append(digits[-3:])
        digits = digits[:-3]
    out.append(digits)
    return sep.join(reversed(out))


def fmt_number(value: float, lang: Lang, decimals: int = 0) -> str:
    """1234.5 -> '1.234,5' (vi) or '1,234.5' (en)."""
    thousands, point = (".", ",") if lang == "vi" else (",", ".")
    text = f"{abs(value):.{decimals}f}"
    whole, _, frac = text.partition(".")
    sign = "-" if value < 0 and float(text) != 0 else ""
    return sign + _group(whole, thousands) + (point + frac if frac else "")


def fmt_int(value: int, lang: Lang) -> str:
    return fmt_number(value, lang, 0)


def fmt_pct(share: float, lang: Lang, decimals: int = 1) -> str:
    """0.3124 -> '31,2%' (vi) / '31.2%' (en)."""
    return fmt_number(share * 100, lang, decimals) + "%"


def fmt_signed(value: float, lang: Lang, decimals: int = 0, suffix: str = "") -> str:
    """Always with a sign: '+1.234', '−12,5' (a real minus sign)."""
    body = fmt_number(abs(value), lang, decimals)
    if float(f"{abs(value):.{decimals}f}") == 0:
        return "±" + body + suffix
    return ("+" if value > 0 else "−") + body + suffix


def fmt_date(value: date | datetime, lang: Lang) -> str:
    """'28/11/2026' (vi) or '28 Nov 2026' (en)."""
    if lang == "vi":
        return f"{value.day:02d}/{value.month:02d}/{value.year}"
    return f"{value.day} {_MONTHS_EN[value.month - 1]} {value.year}"


def fmt_short_date(value: date | datetime, lang: Lang) -> str:
    """Axis labels: '28/11' (vi) or '28 Nov' (en)."""
    if lang == "vi":
        return f"{value.day:02d}/{value.month:02d}"
    return f"{value.day} {_MONTHS_EN[value.month - 1]}"


def weekday(value: date | datetime, lang: Lang) -> str:
    return _WEEKDAYS[lang][value.weekday()]


def fmt_long_date(value: date | datetime, lang: Lang) -> str:
    """'Thứ Bảy, 28/11/2026' / 'Saturday, 28 Nov 2026'."""
    return f"{weekday(value, lang)}, {fmt_date(value, lang)}"


def fmt_datetime(value: datetime, lang: Lang) -> str:
    """'28/11/2026 14:05' / '28 Nov 2026 14:05'."""
    return f"{fmt_date(value, lang)} {value.hour:02d}:{value.minute:02d}"


def sentiment_name(label: str, lang: Lang) -> str:
    return SENTIMENT_NAMES[lang].get(label, label)


def topic_name(label: str, lang: Lang) -> str:
    """The dashboard's name for a topic (nlp.lexicon), so a briefing and the screen agree."""
    return TOPIC_NAMES.get(label, {}).get(lang, label)
