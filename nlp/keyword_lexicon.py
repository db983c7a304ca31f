"""Word lists that decide what may be a keyword: filler, function syllables, topical nouns.

Written for this project from general knowledge of Vietnamese online writing; no dataset text.
underthesea's POS tags (`nlp.crf_pos`) add what lists cannot: which runs of words are noun
phrases, and which unlisted words are pronouns, conjunctions or adverbs (`nlp.keywords`).
"""

from __future__ import annotations

from nlp.lexicon import EN_STOPWORDS, STOPWORDS, TEENCODE
from nlp.opinion import fold_word


def _words(text: str) -> frozenset[str]:
    return frozenset(w.strip() for w in text.split(",") if w.strip())


PRONOUNS = _words(
    "tôi, tao, tớ, mình, ta, chúng, bọn, mày, mi, nó, hắn, họ, anh, chị, em, ông, bà, cô, chú,"
    " bác, cậu, mợ, dì, thím, cháu, con, bạn, cụ, ngài, thầy, ba, má, mẹ, bố, cha, ad, admin,"
    " bé, thím, mợ, bợn, chế, mình ơi, đồng chí, quý vị, các bạn, chúng mày, chúng nó, bọn nó, người ta, ai"
)
"""Personal pronouns and kinship terms used as pronouns ("thầy", "ba" address the reader)."""

PARTICLES = _words(
    "à, á, ạ, ả, ơi, nhé, nhá, nha, nhỉ, hả, hử, chứ, chăng, sao, thôi, mà, đâu, cơ, kìa, hen,"
    " hé, nè, nhen, luôn, rồi, vậy, chớ, ư, ừ, ờ, dạ, vâng, ừm, ồ, ô, ôi, ui, ái, chà, hừ, hì,"
    " này, đó, kia, ấy, đấy, nọ, thế, đây, đi, với, hông, hơ, nghen, đó nha, thiệt"
)
"""Sentence-final particles, interjections and demonstratives."""

FUNCTION = _words(
    "không, chẳng, chả, chưa, đừng, đã, đang, sẽ, vừa, mới, sắp, từng, còn, vẫn, cứ, cũng, đều,"
    " lại, rất, quá, lắm, hơi, khá, cực, thật, siêu, thì, là, bị, được, phải, nên, cần, có,"
    " muốn, định, hãy, chỉ, mỗi, mọi, các, những, một, vài, mấy, nhiều, ít, cả, tất, hết, của,"
    " cho, và, hay, hoặc, nhưng, nếu, vì, do, bởi, tại, để, ở, trong, ngoài, trên, dưới, từ,"
    " đến, tới, về, theo, như, bằng, khi, lúc, sau, trước, cùng, giữa, qua, vào, ra, lên,"
    " xuống, gì, nào, bao, chi, cái, chiếc, việc, điều, sự, cuộc, nỗi, người, thứ, kiểu, cách,"
    " chỗ, nơi, lần, khắp, tận, luôn, ngay, chính, tự, nữa, thêm, vô, dễ, khó, đúng, sai,"
    " giờ, bây, hồi, nay, mai, hôm, nãy, lâu, sớm, muộn, trễ, xong, rằng, nhất, hơn, bằng,"
    " thật, như thế, vậy, được, gần, xa, toàn, riêng, chung, luôn luôn, đâu đó, nhau"
)
"""Negators, aspect and degree words, modals, prepositions, classifiers, question words."""

LEADING_FUNCTION = _words(
    "không, chẳng, chả, chưa, đừng, đã, đang, sẽ, vừa, sắp, từng, còn, vẫn, cứ, cũng, đều,"
    " lại, rất, quá, hơi, khá, thì, là, mà, và, của, cho, với, bị, được, phải, cần, muốn,"
    " hãy, chỉ, có, để, ở, như, nhưng, nếu, vì, thật, siêu, cực, hết, mới, nên, đéo, éo, đếch"
)
"""A compound the segmenter glued onto one of these ("không tăng") is a phrase, not a term."""

TRAILING_FUNCTION = (
    PRONOUNS
    | PARTICLES
    | _words(
        "không, chưa, rồi, luôn, lắm, quá, thôi, nữa, hết, được, thế, vậy, ghê, dữ, lun, đi, thật"
    )
)
"""A compound ending in one of these ("đẹp quá", "thế này") is a phrase, not a term."""

LAUGHS = _words(
    "haha, hihi, hehe, hoho, huhu, hic, hix, hjx, kaka, keke, kk, kkk, kkkk, hí, hị, hô, hớ,"
    " ahihi, hahaha, hihihi, hehehe, lol, lmao, xD, kakaka, hố hố, ha ha, hi hi, he he, hi"
)
ENGLISH_FILLER = EN_STOPWORDS | _words(
    "like, ok, okay, oke, lol, omg, wow, yeah, yes, no, pls, plz, please, thanks, thank, bro,"
    " sis, guys, ha, hi, hello, bye, cmt, comment, post, share, ib, inbox, rep, reply, tag,"
    " admin, ad, page, link, sub, follow, video, clip, shop, check, real, fake, top, best,"
    " cute, hot, fan, idol, team, vip, pro, noob, cool, fine, true, sure, vs, etc, haiz,"
    " vcl, vkl, vl, dmm, đmm, dm, đm, clgt, cmm, đcm, dcm, wtf, fuck, shit, vãi, đéo, éo,"
    " dume, đume, vler, crush, boss, add, nick, free, full, max, happy, amazing, awesome,"
    " perfect, beautiful, funny, sad, job, sorry, anti, haiza, haizz, hm, hmm, uhm, oh, ohh"
)
"""English chat words; product and brand names ("iphone", "covid") are not in it."""

TIME_WORDS = _words(
    "hôm qua, hôm nay, hôm trước, hôm sau, tối qua, tối nay, sáng qua, sáng nay, chiều qua,"
    " chiều nay, trưa nay, đêm qua, đêm nay, ngày mai, ngày kia, năm nay, năm ngoái, năm sau,"
    " tuần trước, tuần sau, tháng trước, tháng sau, bây giờ, hiện nay, lúc nãy"
)
"""When, not what: never a keyword, and too general to open or close a noun phrase."""

GENERIC = TIME_WORDS | _words(
    "đồng ý, bình thường, cảm thấy, cảm giác, thấy rằng, nghĩ rằng, cho rằng, biết rằng,"
    " hy vọng, hi vọng, mong muốn, cố gắng, chia sẻ, cảm ơn, cám ơn, xin lỗi, chúc mừng,"
    " tuyệt vời, xuất sắc, hoàn hảo, hài lòng, thất vọng, tồi tệ, kinh khủng, khủng khiếp,"
    " ghê gớm, đáng tiếc, bực mình, khó chịu, buồn cười, dễ thương, đáng yêu, quan trọng,"
    " cần thiết, đơn giản, rõ ràng, chính xác, thực tế, đúng rồi, đúng là, chắc chắn, có lẽ,"
    " có thể, ví dụ, nói chung, tóm lại, thực ra, thật ra, lẽ ra, đáng lẽ, bây giờ, hiện tại,"
    " hiện nay, ngày nay, lúc này, thời gian, gần đây, sắp tới, tiếp tục, bắt đầu, kết thúc,"
    " xảy ra, diễn ra, trở thành, trở nên, nhận thấy, nhìn thấy, nghe nói, ý kiến, vấn đề,"
    " trường hợp, mọi người, người dân, cuộc sống, con người, bản thân, khắp nơi, mọi nơi,"
    " tất cả, toàn bộ, hoàn toàn, thường xuyên, luôn luôn, mãi mãi, nhanh chóng, lập tức,"
    " ngay lập tức, cuối cùng, đầu tiên, đặc biệt, nhất là, chủ yếu, cơ bản, vô cùng, cực kỳ,"
    " hết sức, thật sự, thực sự, tự nhiên, như thế, như vậy, thế này, thế kia, vậy thôi,"
    " thôi thì, kiểu như, giống như, y chang, y như, tương tự, bình luận, câu hỏi, trả lời,"
    " nhắn tin, thông tin, bài viết, nội dung, bao giờ, lúc nào, ở đâu, thế nào, như thế nào,"
    " tại sao, vì sao, bao nhiêu, một số, nhiều người, ai đó, cái gì, điều gì, việc gì,"
    " hôm nay, hôm qua, ngày mai, năm nay, tuần này, tháng này, sáng nay, tối nay, đêm nay,"
    " lâu rồi, mấy ngày, vài ngày, hàng ngày, mỗi ngày, suốt ngày, cả ngày, hồi trước,"
    " trước đây, sau này, lúc đầu, ban đầu, thời điểm, kết quả, nguyên nhân, lý do, mục đích,"
    " ý nghĩa, giá trị, hiệu quả, chất lượng, phát triển, thay đổi, ảnh hưởng, tình hình,"
    " tình trạng, hoạt động, thực hiện, sử dụng, đánh giá, quyết định, yêu cầu, đề nghị,"
    " chú ý, lưu ý, nhớ là, biết đâu, hiểu được, làm được, được rồi, không sao, chắc là,"
    " ghê thật, quá trời, trời ơi, ôi trời, chết thật, thôi rồi, vui vẻ, hạnh phúc, buồn bã,"
    " lo lắng, sợ hãi, tức giận, yêu thương, thương yêu, ủng hộ, phản đối, anh em, chị em,"
    " bạn bè, gia đình, ông bà, cha mẹ, bố mẹ, vợ chồng, người ta, ai cũng, mọi thứ, tất cả mọi,"
    " xem xét, cơ hội, hệ thống, năm ngoái, năm trước, tháng trước, tuần trước, già trẻ, hỗ trợ,"
    " mệt mỏi, giải quyết, cải thiện, quan tâm, lên tiếng, phản ánh, nhiều lần, lần này, lần nữa,"
    " làm sao, ra sao, không khéo, suy nghĩ"
)
"""Generic verbs, adjectives, time words and discourse compounds: frequent under any story."""

TOPIC_NOUNS = _words(
    "bão, lũ, lụt, mưa, nắng, gió, rét, sét, hạn, mặn, xăng, dầu, điện, nước, gạo, thịt, cá,"
    " rau, trứng, vàng, bạc, thuế, phí, lương, nợ, lãi, vốn, đất, xe, tàu,"
    " phà, cầu, phố, chợ, trường, thi, bệnh, dịch, thuốc, cúm, sốt, rượu, bia,"
    " cháy, nổ, lửa, khói, bụi, rác, đê, kè, sông, biển, hồ, núi, rừng, đảo, mỏ, than, thép,"
    " lúa, ngô, chè, trà, heo, lợn, gà, bò, vịt, tôm, cua, phim, nhạc, game, bóng, sân,"
    " cúp, giải, vé, thẻ, mạng, pin, chip, ga, cảng, quân, lính, súng, bom, đạn, tù, án,"
    " luật, phạt, cướp, trộm, đảng, phường, xã, huyện, tỉnh, quận, làng,"
    " lớp, sách, báo, đài, kênh, phiếu, tướng, vua,"
    " chùa, đền, lễ, tết, sữa, bún, phở, cơm, bánh, muối,"
    " ngập, kẹt, tắc, lở, sạt, hiếp, giết, đâm, chém, bắn, lừa, ma, visa, cổ, ôtô"
)
"""Single-syllable nouns that can stand alone as a topic ("bão", "xăng"): the only single
syllables kept, besides brand and product names."""

FILLER: frozenset[str] = (
    STOPWORDS
    | PRONOUNS
    | PARTICLES
    | FUNCTION
    | LAUGHS
    | ENGLISH_FILLER
    | GENERIC
    | frozenset(TEENCODE)
) - TOPIC_NOUNS
"""Never a keyword on its own."""

FOLDED_FUNCTION: frozenset[str] = frozenset(
    fold_word(w) for w in (PRONOUNS | PARTICLES | FUNCTION) if " " not in w
)
FOLDED_LEADING: frozenset[str] = frozenset(fold_word(w) for w in LEADING_FUNCTION)
FOLDED_TRAILING: frozenset[str] = frozenset(fold_word(w) for w in TRAILING_FUNCTION if " " not in w)
FOLDED_FILLER: frozenset[str] = frozenset(fold_word(w) for w in FILLER - TOPIC_NOUNS)

WEAK_NOUNS = (
    _words(
        "ngày, hôm, đêm, sáng, chiều, tối, năm, tháng, tuần, giờ, phút, lúc, lần, đợt, người, việc,"
        " cái, chuyện, điều, thứ, chỗ, cách, kiểu, bữa, tí, chút, đứa, thằng, con, bạn, anh, chị,"
        " em, ông, bà, cô, chú, bác, mình, ai, gì, số, loại, phần, bên, phía, trên, dưới, trong,"
        " ngoài, sau, trước, đầu, cuối, nay, mai, qua, khi, nơi, đây, đó, kia, này, ấy, nào"
    )
    | TIME_WORDS
)
"""Nouns too general to open or close a noun phrase ("ngày hôm qua", "người ta", "chuyện
này"): a phrase keyword starts and ends with a noun that names something."""

POS_NOT_CONTENT = frozenset(
    (
        "P",
        "Pb",
        "T",
        "I",
        "C",
        "Cc",
        "Cb",
        "E",
        "Eb",
        "R",
        "L",
        "M",
        "Mb",
        "Nc",
        "Nu",
        "CH",
        "Z",
        "Y",
    )
)
"""POS tags (VLSP 2013) of words that are never a keyword: pronouns, particles, interjections,
conjunctions, prepositions, adverbs, determiners, numerals, classifiers, units, punctuation."""

NOUN_PHRASE_TAGS = frozenset({"N", "Np", "Ny", "Nb"})
"""POS tags a noun-phrase keyword is built from ("giá xăng", "bệnh viện Bạch Mai")."""
