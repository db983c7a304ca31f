"""Seed words of each news topic: a `<topic_ID>` feature when a segmented word is one of them.

ViCTSD's 825 articles teach the topic head only the words their comments use; these lists
(written for this project from general knowledge of Vietnamese news, no dataset text) let a
word it never saw ("tên lửa", "cầu lông", "WTO") still point to its topic: the head learns one
weight per topic feature from the words it did see. Matching is on folded, lower-cased words.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from duluan.core.text import fold

TOPIC_SEEDS: dict[str, tuple[str, ...]] = {
    "health": (
        "bệnh viện", "bác sĩ", "bệnh nhân", "người bệnh", "y tế", "sức khỏe", "vắc xin",
        "vaccine", "tiêm chủng", "dịch bệnh", "ung thư", "đột quỵ", "tiểu đường", "huyết áp",
        "tim mạch", "phẫu thuật", "điều trị", "cấp cứu", "nhập viện", "thuốc", "dinh dưỡng",
        "virus", "cúm", "sốt xuất huyết", "covid", "ca nhiễm", "xét nghiệm", "khám bệnh",
        "y khoa", "dược", "ngộ độc", "béo phì", "giấc ngủ", "trầm cảm", "điều dưỡng",
    ),
    "society": (
        "người dân", "chính quyền", "ubnd", "phường", "xã", "thành phố", "tỉnh", "giao thông",
        "ùn tắc", "kẹt xe", "ngập", "lũ", "bão", "sạt lở", "cháy", "hỏa hoạn", "cứu hộ",
        "cứu nạn", "môi trường", "rác", "ô nhiễm", "quy hoạch", "giải phóng mặt bằng",
        "tái định cư", "công nhân", "lao động", "cử tri", "quốc hội", "đại biểu", "chính phủ",
        "thủ tướng", "bộ trưởng", "mưa", "nắng nóng", "nông dân", "hộ nghèo", "từ thiện",
    ),
    "entertainment": (
        "ca sĩ", "diễn viên", "nghệ sĩ", "phim", "điện ảnh", "ca khúc", "bài hát", "album",
        "mv", "liveshow", "hoa hậu", "người mẫu", "showbiz", "sao", "đạo diễn", "phòng vé",
        "rạp", "gameshow", "truyền hình", "sân khấu", "kịch", "nhạc sĩ", "âm nhạc", "hài",
        "danh hài", "scandal", "fan", "thời trang", "cải lương", "concert", "nghệ thuật",
    ),
    "science-tech": (
        "công nghệ", "khoa học", "nhà khoa học", "máy tính", "phần mềm", "phần cứng",
        "internet", "điện thoại", "smartphone", "iphone", "android", "ứng dụng", "app",
        "trí tuệ nhân tạo", "ai", "robot", "vệ tinh", "tên lửa", "vũ trụ", "nasa",
        "hành tinh", "thiên văn", "loài", "hóa thạch", "khủng long", "nghiên cứu", "chip",
        "laptop", "mạng xã hội", "facebook", "google", "tin tặc", "hacker", "dữ liệu",
        "an ninh mạng", "virus máy tính", "wifi", "5g", "camera", "pin",
    ),
    "education": (
        "học sinh", "sinh viên", "giáo viên", "giảng viên", "thầy cô", "trường học",
        "nhà trường", "đại học", "tuyển sinh", "điểm chuẩn", "thí sinh", "kỳ thi", "thi cử",
        "tốt nghiệp", "học phí", "học bổng", "du học", "sách giáo khoa", "chương trình học",
        "lớp học", "học thêm", "giáo dục", "bộ giáo dục", "phụ huynh", "mầm non", "tiểu học",
        "thpt", "thcs", "luận văn", "tiến sĩ", "thạc sĩ", "bằng cấp", "môn học",
    ),
    "law": (
        "công an", "cảnh sát", "khởi tố", "bắt giữ", "bắt giam", "tạm giam", "bị can",
        "bị cáo", "tòa án", "tòa", "xét xử", "phiên tòa", "tuyên án", "án tù", "chung thân",
        "tử hình", "luật sư", "viện kiểm sát", "điều tra", "lừa đảo", "chiếm đoạt", "trộm",
        "cướp", "giết người", "ma túy", "đánh bạc", "truy nã", "vi phạm", "xử phạt",
        "tham nhũng", "hối lộ", "pháp luật", "luật", "tội", "nghi phạm", "hung thủ",
    ),
    "business": (
        "kinh tế", "kinh doanh", "doanh nghiệp", "công ty", "ngân hàng", "lãi suất",
        "tín dụng", "chứng khoán", "cổ phiếu", "nhà đầu tư", "đầu tư", "trái phiếu", "vốn",
        "lợi nhuận", "doanh thu", "xuất khẩu", "nhập khẩu", "thuế", "lạm phát", "gdp",
        "giá vàng", "tỷ giá", "usd", "bất động sản", "nhà đất", "chung cư", "giá xăng",
        "xăng dầu", "thị trường", "tiêu dùng", "siêu thị", "wto", "thương mại", "cổ đông",
        "phá sản", "startup", "tỷ đồng",
    ),
    "vehicles": (
        "ô tô", "xe hơi", "xe máy", "xe tay ga", "xe điện", "xe buýt", "xe tải", "suv",
        "sedan", "động cơ", "mã lực", "phân khối", "hộp số", "lốp", "phanh", "túi khí",
        "đại lý", "triệu hồi", "lái thử", "lăn bánh", "trước bạ", "đăng kiểm", "biển số",
        "tài xế", "lái xe", "toyota", "honda", "vinfast", "hyundai", "mazda", "kia",
        "mercedes", "bmw", "yamaha", "xăng", "nhiên liệu", "bằng lái",
    ),
    "world": (
        "thế giới", "quốc tế", "mỹ", "trung quốc", "nga", "ukraine", "nhật bản",
        "hàn quốc", "triều tiên", "châu âu", "eu", "anh", "pháp", "đức", "ấn độ", "israel",
        "trung đông", "liên hợp quốc", "nato", "tổng thống", "thủ tướng", "ngoại trưởng",
        "bầu cử", "biểu tình", "chiến tranh", "xung đột", "quân đội", "trừng phạt",
        "ngoại giao", "đại sứ", "khủng bố", "tị nạn", "động đất", "sóng thần", "washington",
        "bắc kinh", "moscow",
    ),
    "sports": (
        "bóng đá", "cầu thủ", "đội tuyển", "huấn luyện viên", "hlv", "trận đấu", "bàn thắng",
        "ghi bàn", "thủ môn", "tiền đạo", "hậu vệ", "tiền vệ", "world cup", "euro",
        "sea games", "olympic", "v-league", "ngoại hạng", "champions league", "vô địch",
        "chung kết", "bán kết", "huy chương", "vận động viên", "vđv", "tennis", "quần vợt",
        "cầu lông", "bóng chuyền", "bóng rổ", "điền kinh", "bơi lội", "võ", "câu lạc bộ",
        "sân vận động", "penalty", "messi", "ronaldo", "park hang-seo", "trọng tài",
    ),
}

_INDEX: dict[str, tuple[str, ...]] = {}
for _topic, _words in TOPIC_SEEDS.items():
    for _w in _words:
        _key = fold(_w).lower()
        _INDEX[_key] = (*_INDEX.get(_key, ()), _topic)


@lru_cache(maxsize=1 << 16)
def _folded(word: str) -> str:
    """Folded, lower-case word (cached: folding every word of every post costs ~5 % of the path)."""
    return fold(word).lower()


def topic_seed_features(words: Sequence[str]) -> list[str]:
    """`<topic_ID>` per seed word (or adjacent word pair) among the segmented words,
    diacritics ignored."""
    keys = [_folded(w) for w in words]
    out: list[str] = []
    for i, key in enumerate(keys):  # words, and pairs the segmenter left apart ("sea games")
        for k in (key, f"{keys[i - 1]} {key}" if i else ""):
            topics = _INDEX.get(k) if k else None
            if topics:
                out.extend(f"<topic_{t}>" for t in topics)
    return out
