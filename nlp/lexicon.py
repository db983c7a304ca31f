"""Hand-written word lists: teencode, emoji classes, stopwords, name cues, topic display names.

Written for this project from general knowledge of Vietnamese online writing; no dataset text.
"""

from __future__ import annotations

TOPIC_IDS: tuple[str, ...] = (
    "health", "society", "entertainment", "science-tech", "education",
    "law", "business", "vehicles", "world", "sports",
)
"""The news taxonomy, in the order of UIT-ViCTSD's labels (SucKhoe ... TheThao)."""

TOPIC_NAMES: dict[str, dict[str, str]] = {
    "health": {"vi": "Sức khỏe", "en": "Health"},
    "society": {"vi": "Thời sự", "en": "Society"},
    "entertainment": {"vi": "Giải trí", "en": "Entertainment"},
    "science-tech": {"vi": "Khoa học - Công nghệ", "en": "Science & technology"},
    "education": {"vi": "Giáo dục", "en": "Education"},
    "law": {"vi": "Pháp luật", "en": "Law"},
    "business": {"vi": "Kinh doanh", "en": "Business"},
    "vehicles": {"vi": "Ô tô - Xe máy", "en": "Vehicles"},
    "world": {"vi": "Thế giới", "en": "World"},
    "sports": {"vi": "Thể thao", "en": "Sports"},
}

VICTSD_TOPICS: dict[str, str] = {
    "SucKhoe": "health", "ThoiSu": "society", "GiaiTri": "entertainment",
    "KhoaHoc": "science-tech", "GiaoDuc": "education", "PhapLuat": "law",
    "KinhDoanh": "business", "OtoXemay": "vehicles", "TheGioi": "world", "TheThao": "sports",
}

ASPECT_IDS: tuple[str, ...] = (
    "battery", "camera", "design", "features", "general",
    "performance", "price", "screen", "service", "storage",
)
VISFD_ASPECTS: dict[str, str] = {
    "BATTERY": "battery", "CAMERA": "camera", "DESIGN": "design", "FEATURES": "features",
    "GENERAL": "general", "PERFORMANCE": "performance", "PRICE": "price",
    "SCREEN": "screen", "SER&ACC": "service", "STORAGE": "storage",
}

# Teencode / abbreviations -> standard spelling. Ambiguous short forms are left out on purpose,
# and profanity is never expanded (the toxicity model needs to see it as written).
TEENCODE: dict[str, str] = {
    "ko": "không", "k": "không", "kh": "không", "khg": "không", "hok": "không",
    "hem": "không", "k0": "không", "kg": "không", "khum": "không", "hông": "không",
    "khôg": "không", "kô": "không", "hk": "không",
    "dc": "được", "đc": "được", "dk": "được", "đk": "được", "dcj": "được", "đượt": "được",
    "vs": "với", "mik": "mình", "mk": "mình", "mh": "mình", "mềnh": "mình",
    "bn": "bạn", "bjo": "bây giờ", "bh": "bao giờ",
    "ng": "người", "ngta": "người ta", "mn": "mọi người", "mng": "mọi người",
    "j": "gì", "r": "rồi", "rùi": "rồi", "roài": "rồi", "z": "vậy", "zậy": "vậy",
    "vậyy": "vậy", "dzậy": "vậy", "v": "vậy", "zay": "vậy",
    "e": "em", "a": "anh", "ak": "à", "ah": "à", "uk": "ừ", "uh": "ừ", "ừm": "ừ",
    "tks": "cảm ơn", "thks": "cảm ơn", "thanks": "cảm ơn", "thank": "cảm ơn", "thanx": "cảm ơn",
    "camon": "cảm ơn", "cmt": "bình luận", "sp": "sản phẩm",
    "sd": "sử dụng", "oke": "ok", "okie": "ok", "oki": "ok", "okê": "ok", "okela": "ok",
    "okay": "ok", "ntn": "như thế nào", "bít": "biết", "bik": "biết",
    "lun": "luôn", "wa": "quá", "qá": "quá", "qua'": "quá", "thik": "thích", "thick": "thích",
    "iu": "yêu", "ny": "người yêu", "trc": "trước", "cx": "cũng", "cũg": "cũng",
    "cug": "cũng", "nhìu": "nhiều", "nhiu": "nhiều", "h": "giờ", "đt": "điện thoại",
    "dt": "điện thoại", "đth": "điện thoại", "sdt": "số điện thoại", "sđt": "số điện thoại",
    "fb": "facebook", "ae": "anh em", "ad": "admin", "nhưg": "nhưng", "nhg": "nhưng",
    "đag": "đang", "dag": "đang", "ms": "mới", "mún": "muốn", "mog": "mong", "hnay": "hôm nay",
    "hqua": "hôm qua", "nch": "nói chuyện", "thui": "thôi", "hum": "hôm", "bgio": "bây giờ",
    "lm": "làm",
    "sr": "xin lỗi", "sorry": "xin lỗi", "xl": "xin lỗi", "ib": "nhắn tin", "inbox": "nhắn tin",
    "nt": "nhắn tin", "pm": "nhắn tin", "hàg": "hàng", "hag": "hàng", "tốtt": "tốt",
    "đẹpp": "đẹp", "good": "tốt", "nice": "đẹp", "bad": "tệ", "ship": "giao hàng",
    "shipper": "người giao hàng", "fail": "hỏng", "quạo": "cáu", "tl": "trả lời",
    "trl": "trả lời", "rep": "trả lời", "cty": "công ty", "ctrinh": "chương trình",
    "gv": "giảng viên", "sv": "sinh viên", "hs": "học sinh", "bv": "bệnh viện",
    "bs": "bác sĩ", "csgt": "cảnh sát giao thông", "tq": "trung quốc", "vn": "việt nam",
}

# Emoticons typed as ASCII, and their class.
EMOTICONS: dict[str, str] = {
    ":)": "smile", ":-)": "smile", "(:": "smile", ":]": "smile", "=)": "smile", "^^": "smile",
    "^_^": "smile", "^.^": "smile", ":3": "smile", ":d": "laugh", ":D": "laugh",
    ":-D": "laugh", "=))": "laugh", ":))": "laugh", "=)))": "laugh", ":)))": "laugh",
    "xD": "laugh", "XD": "laugh", ":v": "laugh", ":V": "laugh", "haha": "laugh",
    "hihi": "laugh", "hehe": "laugh", "<3": "love", ":*": "love", ":(": "sad", ":-(": "sad",
    ":((": "sad", ":'(": "sad", "T_T": "sad", "T.T": "sad", ";(": "sad", "-_-": "annoyed",
    "-.-": "annoyed", "=.=": "annoyed", ":/": "annoyed", ":|": "annoyed", ">.<": "annoyed",
    ":@": "angry", ">:(": "angry", ":p": "playful", ":P": "playful", ";)": "smile",
    ":o": "surprise", ":O": "surprise", "o.O": "surprise", "huhu": "sad", "hic": "sad",
    "hix": "sad", "hjx": "sad",
}
EMOTICONS = {k: v for k, v in EMOTICONS.items() if not k.isalpha()}

_EMOJI_GROUPS: dict[str, str] = {
    "smile": "😀😃😄😊🙂☺😇😌😉😋😎🤗✌👌🙌",
    "laugh": "😁😆😂🤣😅😹😜😝😛🤪",
    "love": "😍🥰😘😗😙😚❤♥💕💖💗💓💞💘💝💜💙💚💛🧡🤍😻",
    "praise": "👍👏💯🔥⭐🌟✨🎉🎊🏆🥇💪🙏✅",
    "sad": "😢😭😞😔😟😕🙁☹😩😫😿💔🥺😥😓😪",
    "angry": "😡😠🤬👿💢😤👎🖕",
    "annoyed": "🙄😒😑😐😶🤔😏🤨🥱",
    "fear": "😱😨😰😧😦😮😲😯🤯😳",
    "sick": "🤢🤮😷🤒🤕💀☠",
    "money": "💰💵💸🤑",
}
EMOJI_CLASSES: dict[str, str] = {ch: cls for cls, chars in _EMOJI_GROUPS.items() for ch in chars}

# Function words and chat filler that never make a good keyword (lower-case, space-joined words).
STOPWORDS: frozenset[str] = frozenset(
    ["à", "á", "ạ", "ả", "ai", "anh", "ấy", "bà", "bác", "bạn", "bao", "bao", "giờ", "bây", "giờ", "bị", "bởi", "các", "cái", "cả", "cần", "càng", "chỉ", "chiếc", "cho", "chị", "chính", "chứ", "chưa", "chúng", "chúng", "ta", "chúng", "tôi", "có", "có", "thể", "có", "lẽ", "của", "cũng", "cùng", "đã", "đang", "đây", "để", "đến", "đều", "điều", "đó", "đi", "được", "gì", "giờ", "hay", "hãy", "hết", "họ", "hoặc", "hơn", "khi", "khác", "không", "là", "lại", "làm", "lên", "lúc", "mà", "mình", "mọi", "một", "mới", "nào", "này", "nên", "nếu", "người", "nhiều", "như", "nhưng", "những", "nó", "nữa", "ở", "ơi", "phải", "qua", "quá", "ra", "rằng", "rất", "rồi", "sau", "sẽ", "so", "sự", "tại", "tất", "cả", "thì", "thế", "thôi", "theo", "thấy", "thật", "tôi", "trên", "trong", "từ", "tự", "và", "vào", "vẫn", "vậy", "về", "vì", "việc", "với", "vừa", "xong", "ừ", "ok", "em", "ông", "cô", "chú", "thằng", "con", "bọn", "mấy", "nhé", "nha", "nhỉ", "luôn", "đâu", "kia", "kìa", "thế", "nào", "như", "thế", "nào", "như", "vậy", "vậy", "thì", "tuy", "nhiên", "nhưng", "mà", "cho", "nên", "bởi", "vì", "vì", "vậy", "do", "đó", "đó", "là", "này", "là", "thì", "là", "còn", "vẫn", "còn", "đều", "là", "cũng", "như", "hay", "là", "hoặc", "là", "ngay", "cả", "chứ", "không", "không", "phải", "phải", "không", "lắm", "ạ", "vâng", "dạ", "ừm", "ờ", "ạ", "hả", "hử", "chăng", "sao", "thế", "tại", "sao", "vì", "sao", "bao", "nhiêu", "mấy", "khi", "nào", "ở", "đâu", "đâu", "đó", "ai", "đó", "cái", "gì", "gì", "đó", "nào", "đó", "chỗ", "nơi", "lần", "lượt", "trước", "sau", "khi", "trong", "khi", "cùng", "với", "đối", "với", "theo", "như", "tới", "đến", "nỗi", "rằng", "là", "thực", "sự", "thật", "sự", "thực", "ra", "quả", "thật", "tất", "nhiên", "dĩ", "nhiên", "chắc", "chắn", "có", "lẽ", "hình", "như", "the", "a", "an", "and", "or", "of", "to", "in", "is", "are", "be", "it", "this", "that", "for", "on", "with", "as", "at", "by", "from", "i", "you", "we", "they"]
) | frozenset(
    [
        "bây giờ", "bao giờ", "có thể", "có lẽ", "chúng ta", "chúng tôi", "tất cả", "thế nào",
        "như thế nào", "như vậy", "vậy thì", "tuy nhiên", "nhưng mà", "cho nên", "bởi vì",
        "vì vậy", "do đó", "đó là", "không phải", "phải không", "tại sao", "vì sao", "bao nhiêu",
        "khi nào", "ở đâu", "ai đó", "cái gì", "gì đó", "nào đó", "lần lượt", "trong khi",
        "cùng với", "đối với", "theo như", "thực sự", "thật sự", "thực ra", "quả thật",
        "tất nhiên", "dĩ nhiên", "chắc chắn", "hình như", "mọi người", "anh em", "cảm ơn",
        "xin lỗi", "người ta", "ngày nay", "hiện nay", "hôm nay", "bình luận", "nói chung",
        "thế giới", "vấn đề", "trường hợp", "ý kiến", "nhiều người", "mọi thứ",
        # fillers, intensifiers and time words: they trend with any busy hour, not with a story
        "hẳn", "nhờ", "dữ", "ghê", "hơi", "khá", "cực", "cực kỳ", "vô cùng", "chắc", "chút",
        "ít", "thêm", "cứ", "mãi", "chẳng", "chả", "ấy", "đấy", "nhé", "hôm", "nay", "mai",
        "sáng", "trưa", "chiều", "tối", "đêm", "ngày", "tuần", "tháng", "năm", "hôm qua",
        "ngày mai", "sáng nay", "tối nay", "chiều nay", "đêm qua", "hồi", "lúc nãy", "bây",
        "đc", "dc", "ko", "k", "vs", "j", "z", "r", "thì", "ạ", "nhá", "đi", "xem", "biết",
        "nói", "muốn", "nghĩ", "thấy", "làm", "cách", "kiểu", "lắm", "quá", "thật", "luôn",
    ]
)

VI_SURNAMES: frozenset[str] = frozenset(
    ["nguyễn", "trần", "lê", "phạm", "hoàng", "huỳnh", "phan", "vũ", "võ", "đặng", "bùi", "đỗ", "hồ", "ngô", "dương", "lý", "trịnh", "đinh", "lâm", "mai", "trương", "đoàn", "tô", "lưu", "cao", "quách", "thái", "hà", "tạ", "châu", "lương"]
)
PERSON_TITLES: frozenset[str] = frozenset(
    ["ông", "bà", "anh", "chị", "cô", "chú", "bác", "em", "cụ", "thầy", "chủ", "tịch", "bộ", "trưởng", "tổng", "thống", "thủ", "tướng", "giám", "đốc", "bác", "sĩ", "tiến", "sĩ", "giáo", "sư", "ca", "sĩ", "diễn", "viên", "cầu", "thủ", "hlv"]
)
ORG_CUES: tuple[str, ...] = (
    "công ty", "tập đoàn", "ngân hàng", "bộ", "sở", "ủy ban", "ubnd", "trường", "đại học",
    "bệnh viện", "viện", "tòa án", "viện kiểm sát", "quốc hội", "chính phủ", "đảng", "hội",
    "câu lạc bộ", "clb", "báo", "đài",
)
LOCATIONS: frozenset[str] = frozenset(
    [
        "việt nam", "hà nội", "sài gòn", "tp hcm", "tphcm", "hcm", "hải phòng", "đà nẵng",
        "cần thơ", "huế", "nghệ an", "thanh hóa", "quảng ninh", "bình dương", "đồng nai",
        "khánh hòa", "nha trang", "đà lạt", "lâm đồng", "quảng nam", "quảng ngãi", "bắc ninh",
        "hà tĩnh", "quảng bình", "quảng trị", "long an", "tiền giang", "bến tre", "an giang",
        "kiên giang", "phú quốc", "cà mau", "vũng tàu", "bình thuận", "gia lai", "đắk lắk",
        "lào cai", "sa pa", "hạ long", "mỹ", "trung quốc", "nhật", "nhật bản", "hàn quốc",
        "nga", "pháp", "anh", "đức", "ý", "úc", "ấn độ", "thái lan", "lào", "campuchia",
        "singapore", "malaysia", "indonesia", "philippines", "đài loan", "hồng kông", "triều tiên",
        "ukraine", "iran", "israel", "châu âu", "châu á", "châu phi", "biển đông", "mekong",
        "washington", "bắc kinh", "tokyo", "seoul", "paris", "london", "moscow",
    ]
)

# Words that only English writes (for telling English from unaccented Vietnamese).
EN_STOPWORDS: frozenset[str] = frozenset(
    ["the", "of", "and", "to", "in", "is", "are", "was", "were", "be", "been", "it", "this", "that", "for", "on", "with", "as", "at", "by", "from", "you", "your", "we", "they", "he", "she", "his", "her", "their", "have", "has", "had", "not", "but", "or", "if", "what", "which", "who", "will", "would", "can", "could", "should", "do", "does", "did", "so", "just", "about", "there", "here", "when", "where", "how", "why", "all", "any", "more", "most", "very", "my", "me", "our", "us", "them", "its", "than", "then", "also", "into", "out", "up", "down", "over", "after", "before", "because", "good", "morning", "everyone", "hello", "hi", "thanks", "thank", "please", "love", "like", "great", "nice", "new", "time", "people", "day", "today", "know", "think", "want", "get", "make", "go", "see", "look", "come", "take", "work", "year", "way", "well", "really"]
)
# Frequent Vietnamese words as typed without diacritics (folded), to spot unaccented Vietnamese.
VI_FOLDED_COMMON: frozenset[str] = frozenset(
    ["khong", "duoc", "nguoi", "la", "co", "cua", "va", "cho", "nhung", "mot", "nay", "nhu", "thi", "minh", "ban", "toi", "anh", "em", "chi", "rat", "qua", "lam", "roi", "cung", "nhieu", "lai", "khi", "den", "tu", "voi", "vay", "gi", "nao", "day", "ra", "vao", "len", "nay", "biet", "muon", "thay", "phai", "con", "dep", "tot", "xau", "hay", "chua", "dang", "se", "da", "bi", "nhe", "nha", "nhi", "luon", "viec", "nam", "ngay", "gio", "thang", "tien", "mua", "ban", "hang", "shop", "san", "pham", "chat", "luong", "giao", "sao", "the", "nao", "dung", "di", "ve", "o", "tren", "duoi", "trong", "ngoai", "nuoc", "thi", "nen", "vi", "neu", "ma", "hon", "nhat", "moi", "nguoi", "nhin", "noi", "hoc", "song", "yeu", "thich", "ghet", "buon", "vui", "that", "oi", "ah", "uh", "ko", "dc"]
)

# Opinion words (lower-case; multi-syllable entries are matched as segmented words or pairs).
POSITIVE_WORDS: frozenset[str] = frozenset(
    ["tốt", "hay", "đẹp", "ngon", "tuyệt", "thích", "yêu", "ưng", "ổn", "rẻ", "bền", "mượt", "tiện", "vui", "chuẩn", "ok", "xịn", "đỉnh", "khen", "giỏi", "êm", "trâu", "tươi", "nhanh"]
) | frozenset(
    ["tuyệt vời", "xuất sắc", "hoàn hảo", "hài lòng", "ưng ý", "nhanh chóng", "nhiệt tình", "rất tốt", "tuyệt hảo", "ngon lành", "êm ái", "gọn gàng",
     "tuyệt đẹp", "xịn xò", "đỉnh cao", "cám ơn", "nhiệt huyết", "tâm huyết", "hoan nghênh",
     "phát triển", "thán phục", "xúc động", "mượt mà",
     "tận tình", "chu đáo", "thân thiện", "dễ thương", "dễ hiểu", "dễ dùng", "chất lượng",
     "xứng đáng", "đáng tiền", "hợp lý", "sắc nét", "sạch sẽ", "tiện lợi", "hiệu quả",
     "chuyên nghiệp", "vui vẻ", "hạnh phúc", "tự hào", "ấn tượng", "cảm ơn", "ủng hộ",
     "tài năng", "hữu ích", "bổ ích", "thú vị", "hấp dẫn", "sinh động", "tận tâm", "lịch sự",
     "an toàn", "yên tâm", "tin tưởng", "mạnh mẽ", "nhẹ nhàng", "sang trọng", "tinh tế",
     "đáng yêu", "chúc mừng", "thành công", "tiến bộ", "văn minh", "công bằng", "minh bạch",
     "trân trọng", "ngưỡng mộ", "khâm phục", "cảm động", "đầy đủ", "rõ ràng"]
)
NEGATIVE_WORDS: frozenset[str] = frozenset(
    ["tệ", "kém", "dở", "xấu", "chán", "tồi", "bực", "chậm", "lỗi", "hỏng", "hư", "đắt", "mắc", "lừa", "giả", "vỡ", "rách", "bẩn", "dơ", "nóng", "lag", "đơ", "giật", "treo", "sập", "tụt", "hao", "thiếu", "sai", "buồn", "tiếc", "sợ", "tức", "phí", "mệt", "ngập", "kẹt", "tắc", "chết", "cướp", "trộm", "ồn", "rè", "mờ", "nhòe", "yếu"]
) | frozenset(
    ["tồi tệ", "thất vọng", "hao pin", "không tốt", "bực mình", "khó chịu", "lừa đảo", "gian dối", "giả nhái",
     "kém chất lượng", "vô trách nhiệm", "thờ ơ", "cáu gắt", "thô lỗ", "đau khổ", "lo lắng",
     "lo ngại", "bức xúc", "phẫn nộ", "tức giận", "bất công", "tham nhũng", "tiêu cực",
     "nguy hiểm", "đáng sợ", "kinh khủng", "khủng khiếp", "ghê tởm", "đáng trách", "nhảm nhí",
     "vớ vẩn", "lãng phí", "vô lý", "vô ích", "khó hiểu", "khó khăn", "mệt mỏi", "nhàm chán",
     "rườm rà", "cẩu thả", "qua loa", "lạc hậu", "ô nhiễm", "thảm thương", "tai nạn",
     "hối hận", "phàn nàn", "ăn cắp", "trì hoãn"]
)
NEGATORS: frozenset[str] = frozenset(
    ["không", "chẳng", "chả", "chưa", "đừng", "chẳng hề", "không hề", "chưa hề", "đâu có",
     "không được", "không có", "hết", "kém"]
)
NEGATORS = NEGATORS - {"hết", "kém"}
# Harsh words and insults (incl. common abbreviations); only used as features, never output.
HARSH_WORDS: frozenset[str] = frozenset(
    ["ngu", "đần", "chó", "tởm", "láo", "xạo", "ngáo", "điên", "khùng", "cút", "câm", "thằng", "mụ", "lão", "bọn", "lũ", "đm", "đcm", "dm", "dcm", "vl", "vcl", "cc", "clgt", "cmm", "dmm", "đmm", "vãi", "loz", "cứt"]
) | frozenset(
    ["ngu dốt", "đần độn", "óc chó", "súc vật", "thú vật", "khốn nạn", "mất dạy", "vô học",
     "vô văn hóa", "côn đồ", "ác ôn", "cặn bã", "rác rưởi", "bỉ ổi", "đểu cáng", "trơ trẽn",
     "mặt dày", "hèn hạ", "đê tiện", "láo toét", "thần kinh", "câm mồm", "chết tiệt",
     "đáng chết", "tử hình", "xử bắn"]
)
