"""Form wording and error messages, Vietnamese first with English fallback."""

from __future__ import annotations

from typing import Literal

Lang = Literal["vi", "en"]

TEXT: dict[str, dict[Lang, str]] = {
    "your_opinion": {"vi": "Ý kiến của bạn", "en": "Your opinion"},
    "default_question": {
        "vi": "Bạn nghĩ gì? Hãy chia sẻ ý kiến của bạn.",
        "en": "What do you think? Share your opinion.",
    },
    "category": {"vi": "Chủ đề (không bắt buộc)", "en": "Category (optional)"},
    "choose": {"vi": "— Chọn chủ đề —", "en": "— Choose a category —"},
    "contact": {"vi": "Liên hệ (không bắt buộc)", "en": "Contact (optional)"},
    "contact_hint": {
        "vi": "Email hoặc số điện thoại, chỉ khi bạn muốn được phản hồi.",
        "en": "Email or phone, only if you would like a reply.",
    },
    "send": {"vi": "Gửi ý kiến", "en": "Send"},
    "privacy": {
        "vi": "Ẩn danh: chúng tôi không lưu địa chỉ IP hay thông tin thiết bị của bạn.",
        "en": "Anonymous: we do not store your IP address or any device information.",
    },
    "limit": {"vi": "Tối đa {n} ký tự.", "en": "At most {n} characters."},
    "honeypot": {"vi": "Để trống ô này", "en": "Leave this empty"},
    "thanks_title": {"vi": "Cảm ơn bạn!", "en": "Thank you!"},
    "thanks_body": {
        "vi": "Ý kiến của bạn đã được ghi nhận.",
        "en": "Your feedback has been received.",
    },
    "send_another": {"vi": "Gửi thêm ý kiến", "en": "Send another"},
    "error_title": {"vi": "Chưa gửi được", "en": "Not sent"},
    "back": {"vi": "Quay lại biểu mẫu", "en": "Back to the form"},
    "other_lang": {"vi": "English", "en": "Tiếng Việt"},
    "not_found": {
        "vi": "Không tìm thấy chiến dịch này, hoặc chiến dịch đã đóng.",
        "en": "This campaign does not exist or is closed.",
    },
    # errors, by reason
    "rate_limited": {
        "vi": "Bạn gửi quá nhanh. Vui lòng thử lại sau {seconds} giây.",
        "en": "You are sending too fast. Please try again in {seconds} seconds.",
    },
    "too_large": {
        "vi": "Nội dung quá dài (tối đa {n} ký tự).",
        "en": "Your message is too long (at most {n} characters).",
    },
    "empty": {"vi": "Vui lòng nhập ý kiến của bạn.", "en": "Please write your feedback."},
    "bad_category": {"vi": "Chủ đề không hợp lệ.", "en": "Unknown category."},
    "bad_contact": {
        "vi": "Thông tin liên hệ quá dài (tối đa 200 ký tự).",
        "en": "Contact is too long (at most 200 characters).",
    },
    "honeypot_filled": {
        "vi": "Không gửi được: một ô ẩn đã bị điền (có thể do trình tự động điền).",
        "en": "Not sent: a hidden field was filled in (perhaps by autofill).",
    },
    "too_fast": {
        "vi": "Bạn gửi nhanh quá. Vui lòng đợi vài giây rồi gửi lại.",
        "en": "That was very fast. Please wait a few seconds and send again.",
    },
    "expired": {
        "vi": "Biểu mẫu đã hết hạn. Vui lòng tải lại trang và gửi lại.",
        "en": "The form has expired. Please reload the page and send again.",
    },
    "invalid": {
        "vi": "Biểu mẫu không hợp lệ. Vui lòng tải lại trang và gửi lại.",
        "en": "The form is not valid. Please reload the page and send again.",
    },
    "duplicate": {
        "vi": "Ý kiến này đã được gửi trước đó.",
        "en": "This feedback has already been sent.",
    },
    "bad_request": {
        "vi": "Yêu cầu không hợp lệ.",
        "en": "The request is not valid.",
    },
    "unavailable": {
        "vi": "Hệ thống đang bận. Vui lòng thử lại sau ít phút.",
        "en": "The service is busy. Please try again in a few minutes.",
    },
}


def t(key: str, lang: Lang, **values: object) -> str:
    entry = TEXT[key]
    return (entry.get(lang) or entry["en"]).format(**values)


def pick_lang(explicit: str | None, accept_language: str | None) -> Lang:
    """`?lang=` wins; else Vietnamese unless the browser prefers English over Vietnamese."""
    if explicit in ("vi", "en"):
        return explicit  # type: ignore[return-value]
    prefs = []
    for part in (accept_language or "").split(","):
        code, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        prefs.append((weight, code.strip().lower()[:2]))
    for _, code in sorted(prefs, key=lambda p: -p[0]):
        if code in ("vi", "en"):
            return code  # type: ignore[return-value]
    return "vi"
