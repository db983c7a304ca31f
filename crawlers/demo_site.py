"""A small fake Vietnamese news site in VnExpress's structure, for `duluan demo` without internet.

Serves `/rss/tin-moi-nhat.rss`, article pages (with `tt_article_id` / `tt_site_id` meta tags),
the comment API (`/index/get`, `/index/getreplay`, JSON or JSONP) and `/robots.txt`. All text
is invented here, generated from templates; times are relative to server start.

For a demo that looks alive the site carries two weeks of back-dated comments with one planted
spike (a burst of angry comments about flooding in the last hour), can keep publishing new
comments and articles every few seconds (`DemoSite.start_publishing`), and serves a webhook
sink (`POST /hooks/alerts`, shown at `/hooks`) for the demo alert to deliver to.
"""

from __future__ import annotations

import html
import json
import random
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from crawlers.text import VN_TZ
from duluan.core.text import fold
from nlp.sections import slug

SITE_ID = 1000000


@dataclass(frozen=True)
class Topic:
    slug: str
    category: str
    title: str
    description: str
    body: tuple[str, ...]
    subjects: tuple[str, ...]
    positive: tuple[str, ...]
    negative: tuple[str, ...]
    neutral: tuple[str, ...]


TOPICS: tuple[Topic, ...] = (
    Topic(
        "gia-xang-tang-lan-thu-ba-lien-tiep",
        "Kinh doanh",
        "Giá xăng tăng lần thứ ba liên tiếp",
        "Từ 15h chiều nay, mỗi lít xăng RON 95 tăng thêm khoảng 600 đồng sau kỳ điều hành mới.",
        (
            "Liên bộ Công Thương - Tài chính vừa công bố giá bán lẻ xăng dầu mới theo kỳ điều hành.",
            "Theo cơ quan quản lý, giá thế giới biến động mạnh trong hai tuần qua là nguyên nhân.",
            "Quỹ bình ổn giá không được trích lập hay chi sử dụng trong kỳ này.",
        ),
        ("giá xăng", "xăng dầu", "giá nhiên liệu", "tiền đổ xăng"),
        (
            "Tăng chút thôi, vẫn chấp nhận được so với các nước xung quanh.",
            "Điều hành minh bạch theo giá thế giới như vậy là hợp lý.",
            "May mà tháng sau dự báo sẽ giảm lại, mọi người bình tĩnh.",
            "Mình chuyển sang đi xe buýt, vừa tiết kiệm vừa đỡ kẹt xe, rất ổn.",
        ),
        (
            "Lương không tăng mà {s} cứ tăng mãi, dân khổ quá.",
            "Tăng thì nhanh mà giảm thì nhỏ giọt, thật bức xúc.",
            "{s} tăng kéo theo giá rau, giá thịt tăng hết, chịu không nổi.",
            "Chạy xe ôm công nghệ giờ lãi chẳng còn bao nhiêu vì {s}.",
        ),
        (
            "Kỳ điều hành tới là ngày nào vậy mọi người?",
            "Có ai biết {s} ở các nước Đông Nam Á hiện bao nhiêu không?",
            "Quỹ bình ổn còn bao nhiêu tiền nhỉ?",
        ),
    ),
    Topic(
        "phat-nguoi-qua-camera-tang-manh",
        "Thời sự",
        "Số trường hợp bị phạt nguội qua camera tăng mạnh",
        "Hệ thống camera giám sát giao thông ghi nhận hơn 12.000 lỗi vi phạm trong tháng qua.",
        (
            "Các lỗi phổ biến nhất là vượt đèn đỏ, đi sai làn và chạy quá tốc độ.",
            "Chủ phương tiện có thể tra cứu thông tin vi phạm trên cổng thông tin của cảnh sát.",
            "Cơ quan chức năng khuyến cáo người dân chủ động nộp phạt để tránh bị từ chối đăng kiểm.",
        ),
        ("phạt nguội", "camera giao thông", "mức phạt mới", "xử phạt vi phạm"),
        (
            "Phạt nghiêm như vậy mới có ý thức, ủng hộ hoàn toàn.",
            "Từ khi có {s} đường phố trật tự hơn hẳn, rất tốt.",
            "Camera khách quan, không ai nói được gì, quá chuẩn.",
            "Mong nhân rộng ra các tỉnh, giao thông sẽ văn minh hơn.",
        ),
        (
            "Biển báo thì khuất, vạch kẻ thì mờ mà {s} thì rất nhanh.",
            "Xe bán rồi vẫn nhận giấy phạt, thủ tục rườm rà quá.",
            "Phạt thì giỏi nhưng kẹt xe mỗi sáng chẳng ai giải quyết.",
            "Mức phạt quá cao so với thu nhập của người lao động.",
        ),
        (
            "Tra cứu {s} ở trang nào là chính thống vậy các bác?",
            "Bị phạt nguội thì nộp online được không?",
            "Xe mua lại chưa sang tên thì ai chịu phạt nhỉ?",
        ),
    ),
    Topic(
        "doi-tuyen-viet-nam-thang-dam-tai-vong-loai",
        "Thể thao",
        "Đội tuyển Việt Nam thắng đậm tại vòng loại",
        "Thầy trò huấn luyện viên trưởng giành ba điểm trọn vẹn với tỷ số 3-0 trên sân nhà.",
        (
            "Bàn mở tỷ số đến từ một pha phối hợp đẹp mắt ở phút thứ 18.",
            "Hiệp hai, đội khách dâng cao nhưng không thể xuyên thủng hàng thủ chủ nhà.",
            "Với kết quả này, đội tuyển tạm dẫn đầu bảng đấu.",
        ),
        ("đội tuyển", "hàng công", "thủ môn", "ban huấn luyện"),
        (
            "Trận này đá quá hay, tự hào về các cầu thủ!",
            "Hàng tiền vệ chuyền bóng mượt mà, xem rất đã mắt.",
            "Thủ môn phản xạ xuất sắc, xứng đáng cầu thủ hay nhất trận.",
            "Cố lên Việt Nam ơi, vé đi tiếp trong tầm tay rồi.",
        ),
        (
            "Hiệp hai đá bế tắc quá, không tạo được cơ hội nào.",
            "Dứt điểm vẫn còn quá tệ, bỏ lỡ mấy cơ hội mười mươi.",
            "Mặt sân xấu quá, cầu thủ dễ chấn thương.",
            "Giá vé đắt mà chỗ gửi xe thì lộn xộn, thất vọng.",
        ),
        (
            "Trận tiếp theo đá ngày nào, sân nào vậy mọi người?",
            "Có kênh nào chiếu lại trận này không?",
            "Đội hình ra sân trận này là sơ đồ gì nhỉ?",
        ),
    ),
    Topic(
        "benh-vien-qua-tai-vi-sot-xuat-huyet",
        "Sức khỏe",
        "Bệnh viện quá tải vì sốt xuất huyết",
        "Số ca mắc sốt xuất huyết tăng gấp đôi so với cùng kỳ, nhiều khoa phải kê thêm giường.",
        (
            "Bác sĩ khuyến cáo người dân không tự ý truyền dịch tại nhà.",
            "Ngành y tế đẩy mạnh phun thuốc diệt muỗi tại các điểm nóng.",
            "Người bệnh cần theo dõi dấu hiệu cảnh báo như đau bụng, chảy máu chân răng.",
        ),
        ("bệnh viện", "sốt xuất huyết", "bác sĩ", "dịch bệnh"),
        (
            "Cảm ơn các bác sĩ, điều dưỡng đã vất vả ngày đêm.",
            "Bé nhà mình điều trị ở đây, nhân viên y tế rất tận tình.",
            "Phường mình phun thuốc muỗi kịp thời, rất đáng khen.",
            "Bài viết hữu ích, cảm ơn tác giả đã chia sẻ kiến thức.",
        ),
        (
            "Chờ khám cả buổi sáng, {s} đông nghẹt thở.",
            "Hai bệnh nhân một giường, nhìn mà xót.",
            "Thuốc thì thiếu, người nhà phải tự đi mua bên ngoài.",
            "Năm nào cũng dịch mà phòng chống vẫn chậm.",
        ),
        (
            "Sốt xuất huyết có cần kiêng tắm không ạ?",
            "Tiểu cầu giảm bao nhiêu thì phải nhập viện vậy bác sĩ?",
            "Có vắc xin sốt xuất huyết chưa mọi người?",
        ),
    ),
    Topic(
        "hoc-phi-dai-hoc-tang-tu-nam-hoc-moi",
        "Giáo dục",
        "Học phí đại học tăng từ năm học mới",
        "Nhiều trường đại học công lập điều chỉnh học phí tăng từ 10 đến 15% so với năm trước.",
        (
            "Theo lộ trình, học phí sẽ tiến tới bù đắp đủ chi phí đào tạo.",
            "Các trường cam kết dành một phần nguồn thu cho học bổng sinh viên khó khăn.",
            "Sinh viên có thể vay vốn ưu đãi từ ngân hàng chính sách xã hội.",
        ),
        ("học phí", "trường đại học", "chất lượng đào tạo", "sinh viên"),
        (
            "Tăng học phí mà chất lượng tăng theo thì mình ủng hộ.",
            "Trường mình năm nay nhiều học bổng hơn, rất tuyệt.",
            "Giảng viên được trả lương xứng đáng thì mới giữ được người giỏi.",
            "Cơ sở vật chất mới khang trang, đáng đồng tiền.",
        ),
        (
            "{s} tăng hoài, con nhà nghèo lấy đâu ra tiền đi học.",
            "Tăng học phí nhưng phòng học vẫn nóng, máy chiếu vẫn hỏng.",
            "Lương bố mẹ không đủ đóng {s} cho hai đứa.",
            "Ra trường thất nghiệp thì học phí cao để làm gì.",
        ),
        (
            "Học phí ngành công nghệ thông tin năm nay bao nhiêu vậy?",
            "Vay vốn sinh viên thủ tục thế nào mọi người?",
            "Có trường nào miễn học phí cho sinh viên sư phạm không?",
        ),
    ),
    Topic(
        "dien-thoai-moi-ban-tai-viet-nam",
        "Số hóa",
        "Mẫu điện thoại mới lên kệ tại Việt Nam",
        "Sản phẩm có camera 200 megapixel, pin 5.000 mAh, giá từ 22 triệu đồng.",
        (
            "Máy dùng chip thế hệ mới, hiệu năng tăng khoảng 20%.",
            "Màn hình 6,7 inch, tần số quét 120 Hz, độ sáng tối đa cao.",
            "Các đại lý ghi nhận lượng đặt trước cao hơn thế hệ cũ.",
        ),
        ("điện thoại", "camera", "pin", "giá bán"),
        (
            "Camera chụp đêm quá đẹp, mình đã đặt một chiếc.",
            "Pin trâu, dùng cả ngày vẫn còn 30%, rất hài lòng.",
            "Màn hình mượt, chơi game không giật chút nào.",
            "Thiết kế sang, cầm chắc tay, đáng tiền.",
        ),
        (
            "{s} 22 triệu mà không tặng kèm sạc, quá đáng.",
            "Nâng cấp chẳng bao nhiêu mà giá tăng vọt.",
            "Máy nóng khi quay video, pin tụt nhanh, thất vọng.",
            "Bảo hành chậm, gửi máy đi mất ba tuần mới nhận lại.",
        ),
        (
            "Có bản 256 GB không mọi người?",
            "So với máy đời trước thì nên lên đời không?",
            "Trả góp 0% ở đâu vậy các bạn?",
        ),
    ),
    Topic(
        "gia-nha-chung-cu-lap-dinh-moi",
        "Bất động sản",
        "Giá nhà chung cư lập đỉnh mới",
        "Giá căn hộ trung bình tại các thành phố lớn đã vượt 60 triệu đồng mỗi mét vuông.",
        (
            "Nguồn cung mới khan hiếm trong khi nhu cầu ở thực vẫn cao.",
            "Chuyên gia cho rằng giá khó giảm trong ngắn hạn.",
            "Nhà ở xã hội được kỳ vọng sẽ giảm áp lực cho người thu nhập thấp.",
        ),
        ("giá nhà", "chung cư", "căn hộ", "nhà ở xã hội"),
        (
            "Mình vừa mua được căn nhà ở xã hội, thủ tục khá nhanh.",
            "Hạ tầng giao thông tốt lên nên giá tăng cũng dễ hiểu.",
            "Chung cư mới có dịch vụ quản lý tốt, sống rất thoải mái.",
            "Tin vui là nhiều dự án nhà ở xã hội sắp mở bán.",
        ),
        (
            "Làm cả đời cũng không mua nổi một căn {s}.",
            "Giá ảo do đầu cơ, người cần ở thì không mua được.",
            "Phí quản lý tăng, thang máy hỏng liên tục, chán.",
            "Thủ tục mua nhà ở xã hội quá rắc rối.",
        ),
        (
            "Vay mua nhà lãi suất hiện nay bao nhiêu vậy mọi người?",
            "Điều kiện mua nhà ở xã hội là gì ạ?",
            "Nên mua chung cư hay nhà đất ở ngoại thành?",
        ),
    ),
    Topic(
        "mua-lon-gay-ngap-nhieu-tuyen-pho",
        "Thời sự",
        "Mưa lớn gây ngập nhiều tuyến phố",
        "Cơn mưa kéo dài hai giờ khiến nhiều tuyến phố ngập sâu 30-50 cm, giao thông ùn tắc.",
        (
            "Nhiều xe máy chết máy giữa đường, người dân phải dắt bộ.",
            "Công ty thoát nước đã huy động lực lượng khơi thông cống.",
            "Đài khí tượng dự báo mưa lớn còn kéo dài đến cuối tuần.",
        ),
        ("ngập lụt", "mưa lớn", "hệ thống thoát nước", "kẹt xe"),
        (
            "Cảm ơn các anh công nhân thoát nước làm việc trong mưa.",
            "Nước rút nhanh hơn năm ngoái nhiều, có tiến bộ.",
            "Mọi người giúp nhau đẩy xe, thấy ấm lòng ghê.",
            "Dự án chống ngập mới đã phát huy hiệu quả ở quận mình.",
        ),
        (
            "Mưa chút là {s}, năm nào cũng vậy.",
            "Tiền tỷ chống ngập mà đường vẫn thành sông.",
            "Xe chết máy, đi làm muộn, bị trừ lương, khổ ghê.",
            "Rác bịt miệng cống mà chẳng ai dọn.",
        ),
        (
            "Đường nào đang ngập vậy mọi người, để tránh?",
            "Mưa này bao giờ tạnh nhỉ?",
            "Xe ngập nước thì nên xử lý thế nào?",
        ),
    ),
)

FIRST = (
    "Minh",
    "Lan",
    "Hùng",
    "Trang",
    "Tuấn",
    "Hoa",
    "Dũng",
    "Mai",
    "Nam",
    "Thảo",
    "Khoa",
    "Linh",
    "Quân",
    "Vy",
    "Phúc",
    "Ngọc",
    "Bảo",
    "Yến",
    "Sơn",
    "Hà",
)
LAST = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô")
HANDLES = (
    "bacsi_ao",
    "xe_om_90",
    "fan_cung_bong_da",
    "me_bim_sua",
    "dan_van_phong",
    "sinhvien_nam3",
    "ong_gia_hay_noi",
    "tho_sua_xe",
    "hoc_sinh_ngoan",
    "nguoi_qua_duong",
)
OPENERS = ("", "", "", "Theo mình thì ", "Nói thật là ", "Ý kiến cá nhân: ", "Haizz, ", "Chuẩn. ")
CLOSERS = (
    "",
    "",
    "",
    " Mong cơ quan chức năng xem xét.",
    " Ai đồng ý like nhé.",
    " Chán thật sự.",
    " Hy vọng sẽ tốt hơn.",
    " 👍",
    " 😡",
    " :)",
)
TEENCODE = (
    ("không", "ko"),
    ("được", "dc"),
    ("vậy", "z"),
    ("quá", "wá"),
    ("biết", "bít"),
    ("rồi", "r"),
    ("mọi người", "mn"),
    ("bạn", "bn"),
)
AGREE = (
    "Đồng ý với bạn.",
    "Chuẩn luôn bạn ơi.",
    "Bạn nói đúng quá.",
    "Không hẳn đâu bạn.",
    "Mình thấy khác đấy.",
    "Cảm ơn bạn đã chia sẻ thông tin.",
    "Bạn ở đâu mà thấy vậy?",
    "Chuẩn không cần chỉnh.",
    "Sai rồi bạn ơi, đọc kỹ bài đi.",
    "Haha, y chang mình.",
)


def teencode(text: str) -> str:
    for word, short in TEENCODE:
        text = text.replace(word, short)
    return text


def make_comment_text(topic: Topic, rng: random.Random) -> tuple[str, str]:
    """One invented comment on `topic` and the sentiment it was written with."""
    mood = rng.choices(("positive", "negative", "neutral"), weights=(3, 4, 2))[0]
    pool = {"positive": topic.positive, "negative": topic.negative, "neutral": topic.neutral}[mood]
    sentence = rng.choice(pool).format(s=rng.choice(topic.subjects))
    if rng.random() < 0.35:  # a second thought in the same mood
        extra = rng.choice([p for p in pool if p.format(s="") != sentence] or pool)
        sentence += " " + extra.format(s=rng.choice(topic.subjects))
    text = sentence
    if rng.random() < 0.3:
        text = rng.choice(OPENERS) + sentence[0].lower() + sentence[1:]
    if mood != "neutral":
        text += rng.choice(CLOSERS)
    text = text[0].upper() + text[1:]
    style = rng.random()
    if style < 0.12:
        text = fold(text)  # typed without diacritics
    elif style < 0.22:
        text = teencode(text.lower())
    return text.strip(), mood


def make_author(rng: random.Random) -> str:
    if rng.random() < 0.25:
        return rng.choice(HANDLES) + str(rng.randint(1, 99))
    return f"{rng.choice(LAST)} {rng.choice(FIRST)}" if rng.random() < 0.6 else rng.choice(FIRST)


@dataclass
class Comment:
    comment_id: int
    article_id: int
    parent_id: int
    content: str
    full_name: str
    creation_time: int
    userlike: int
    replies: list[Comment] = field(default_factory=list)

    def as_api(self, embed_replies: int | None = None) -> dict[str, Any]:
        item: dict[str, Any] = {
            "comment_id": str(self.comment_id),
            "parent_id": str(self.parent_id) if embed_replies is not None else self.parent_id,
            "article_id": self.article_id,
            "content": self.content,
            "full_name": self.full_name,
            "creation_time": self.creation_time,
            "time": "",
            "userlike": self.userlike,
            "type": 4,
        }
        if embed_replies is not None:
            newest = sorted(self.replies, key=lambda r: -r.creation_time)
            item["replys"] = {
                "total": len(self.replies),
                "items": [r.as_api() for r in newest[:embed_replies]],
            }
        return item


@dataclass
class Article:
    article_id: int
    topic: Topic
    published: datetime
    comments: list[Comment] = field(default_factory=list)

    @property
    def path(self) -> str:
        return f"/{self.topic.slug}-{self.article_id}.html"

    def total_items(self) -> int:
        return len(self.comments) + sum(len(c.replies) for c in self.comments)


SPIKE_TOPIC = "mua-lon-gay-ngap-nhieu-tuyen-pho"
SPIKE_LINES = (
    "Ngập lụt lại ngập lụt, triều cường cộng mưa lớn, cả khu phố chìm trong nước.",
    "Nhà mình nước tràn vào tận phòng khách, ngập lụt thế này thì sống sao nổi.",
    "Đi làm về lội nước ngập đến đầu gối, xe chết máy giữa đường, quá mệt mỏi.",
    "Triều cường dâng cao, hệ thống thoát nước quá tải, ngập lụt khắp nơi.",
    "Tiền chống ngập đổ vào đâu mà năm nay ngập lụt còn nặng hơn năm ngoái?",
    "Cả con hẻm ngập lụt, người già trẻ nhỏ mắc kẹt, mong chính quyền hỗ trợ gấp.",
)


def _reply_content(name: str, body: str) -> str:
    return (
        f'<span class="reply_name" data-userid="0">@{html.escape(name)}</span>:&nbsp;'
        f"{html.escape(body)}"
    )


def build_site(
    now: datetime | None = None,
    seed: int = 2026,
    comments: int = 300,
    *,
    history_days: float = 2.0,
    spike: int = 0,
    busy_hours: int = 0,
    busy_per_hour: int = 30,
) -> list[Article]:
    """Eight articles and about `comments` comments and replies over the last `history_days`;
    `busy_per_hour` more in each of the last `busy_hours` (enough posts per hour for hourly
    trends to learn a baseline); `spike` angry comments about flooding in the last hour."""
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    span_h = max(history_days * 24.0, 6 * 1.5 * len(TOPICS))
    articles = [
        Article(
            4800001 + i * 37,
            topic,
            now - timedelta(hours=span_h * (1 - i / len(TOPICS)) - rng.uniform(0, 3)),
        )
        for i, topic in enumerate(TOPICS)
    ]
    last_id = [51000000]

    def new_id() -> int:
        last_id[0] += rng.randint(1, 40)
        return last_id[0]

    made = 0
    while made < comments:
        article = rng.choice(articles)
        age = (now - article.published).total_seconds()
        created = article.published + timedelta(seconds=rng.uniform(60, max(120.0, age - 60)))
        text, _ = make_comment_text(article.topic, rng)
        cid = new_id()
        parent = Comment(
            cid,
            article.article_id,
            cid,
            text,
            make_author(rng),
            int(created.timestamp()),
            int(rng.paretovariate(1.3)) - 1,
        )
        article.comments.append(parent)
        made += 1
        if rng.random() < 0.3:
            for _ in range(rng.choice((1, 1, 2, 3, 4, 6))):
                if made >= comments:
                    break
                reply_at = created + timedelta(seconds=rng.uniform(30, 6 * 3600))
                if reply_at > now:
                    reply_at = now - timedelta(seconds=rng.randint(5, 600))
                body = rng.choice(AGREE)
                if rng.random() < 0.5:
                    body += " " + make_comment_text(article.topic, rng)[0]
                parent.replies.append(
                    Comment(
                        new_id(),
                        article.article_id,
                        parent.comment_id,
                        _reply_content(parent.full_name, body),
                        make_author(rng),
                        int(reply_at.timestamp()),
                        rng.randint(0, 20),
                    )
                )
                made += 1
    for hour in range(busy_hours):
        for _ in range(busy_per_hour):
            article = rng.choice(articles)
            created = now - timedelta(hours=hour, seconds=rng.uniform(30, 3590))
            if created <= article.published:
                continue
            text, _ = make_comment_text(article.topic, rng)
            cid = new_id()
            article.comments.append(
                Comment(
                    cid,
                    article.article_id,
                    cid,
                    text,
                    make_author(rng),
                    int(created.timestamp()),
                    rng.randint(0, 10),
                )
            )
    if spike:
        flood = next(a for a in articles if a.topic.slug == SPIKE_TOPIC)
        for _ in range(spike):
            created = now - timedelta(seconds=rng.uniform(60, 50 * 60))
            text = rng.choice(SPIKE_LINES)
            if rng.random() < 0.5:
                text += " " + rng.choice(flood.topic.negative).format(s="ngập lụt")
            cid = new_id()
            flood.comments.append(
                Comment(
                    cid,
                    flood.article_id,
                    cid,
                    text,
                    make_author(rng),
                    int(created.timestamp()),
                    rng.randint(0, 50),
                )
            )
    return articles


ARTICLE_PAGE = """<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8">
<title>{title} - Tin Nhanh Demo</title>
<meta name="description" content="{description}">
<meta name="tt_article_id" content="{article_id}">
<meta name="tt_site_id" content="{site_id}">
<meta name="tt_category_id" content="{category}">
<meta itemprop="datePublished" content="{published}">
</head><body>
<div class="sidebar-1">
<ul class="breadcrumb"><li><a href="/{section}" title="{category_name}">{category_name}</a></li></ul>
<span class="date">{date_text}</span>
<h1 class="title-detail">{title}</h1>
<p class="description">{description}</p>
<article class="fck_detail">{body}</article>
<div class="box_comment_vne"
 data-component-input='{{"article_id":{article_id},"site_id":{site_id},"objecttype":1}}'></div>
</div></body></html>
"""

WEEKDAYS = ("Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy", "Chủ nhật")


class DemoSite:
    """The generated content and the responses for each route; it can keep publishing."""

    def __init__(self, articles: list[Article], *, seed: int = 2026) -> None:
        self.articles = articles
        self.by_id = {a.article_id: a for a in articles}
        self.comments = {c.comment_id: c for a in articles for c in a.comments}
        self.lock = threading.RLock()
        self.hooks: list[dict[str, Any]] = []  # what the webhook sink received, newest last
        self.published = 0  # comments and articles added since start
        self._rng = random.Random(seed + 1)
        self._stop = threading.Event()
        self._next_id = max(self.comments, default=51000000) + 1000
        for a in articles:
            for c in a.comments:
                self._next_id = max([self._next_id, *(r.comment_id + 1 for r in c.replies)])

    # -- publishing ------------------------------------------------------------------------------

    def publish_one(self, now: datetime | None = None) -> Comment | Article:
        """Add one new comment, reply or (now and then) article, as a live site would."""
        rng = self._rng
        now = now or datetime.now(UTC)
        with self.lock:
            self._next_id += rng.randint(1, 40)
            self.published += 1
            if self.published % 40 == 0:  # a new article every 40 items
                topic = rng.choice(TOPICS)
                article = Article(max(self.by_id) + 37, topic, now)
                self.articles.append(article)
                self.by_id[article.article_id] = article
                return article
            recent = sorted(self.articles, key=lambda a: a.published)[-4:]
            article = rng.choice(recent)
            if article.comments and rng.random() < 0.2:
                parent = rng.choice(article.comments[-20:])
                body = rng.choice(AGREE)
                reply = Comment(
                    self._next_id,
                    article.article_id,
                    parent.comment_id,
                    _reply_content(parent.full_name, body),
                    make_author(rng),
                    int(now.timestamp()),
                    0,
                )
                parent.replies.append(reply)
                return reply
            text, _ = make_comment_text(article.topic, rng)
            comment = Comment(
                self._next_id,
                article.article_id,
                self._next_id,
                text,
                make_author(rng),
                int(now.timestamp()),
                0,
            )
            article.comments.append(comment)
            self.comments[comment.comment_id] = comment
            return comment

    def start_publishing(self, every_s: float = 4.0) -> threading.Thread:
        """Publish one item every `every_s` seconds in a daemon thread until `stop_publishing`."""

        def loop() -> None:
            while not self._stop.wait(every_s):
                self.publish_one()

        thread = threading.Thread(target=loop, name="duluan-demo-publisher", daemon=True)
        thread.start()
        return thread

    def stop_publishing(self) -> None:
        self._stop.set()

    # -- the webhook sink ------------------------------------------------------------------------

    def receive_hook(self, body: bytes, headers: dict[str, str]) -> None:
        try:
            payload: Any = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            payload = None
        if not isinstance(payload, dict):
            payload = {"summary": body[:200].decode("utf-8", "replace")}
        with self.lock:
            self.hooks.append(
                {
                    "received_at": datetime.now(UTC).isoformat(),
                    "signature": headers.get("x-duluan-signature", ""),
                    "payload": payload,
                }
            )
            del self.hooks[:-200]

    def hooks_page(self) -> str:
        with self.lock:
            hooks = list(reversed(self.hooks))
        rows = "".join(
            f"<tr><td>{html.escape(h['received_at'][:19].replace('T', ' '))} UTC</td>"
            f"<td>{html.escape(str(h['payload'].get('subscription_name', '')))}</td>"
            f"<td>{html.escape(str(h['payload'].get('summary', ''))[:300])}</td></tr>"
            for h in hooks
        )
        return (
            '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
            '<meta http-equiv="refresh" content="10"><title>Webhook demo</title></head><body>'
            "<h1>Cảnh báo đã nhận / Alerts received</h1>"
            f"<p>{len(hooks)} webhook(s); the page refreshes every 10 s.</p>"
            "<table border=1 cellpadding=4><thead><tr><th>Nhận lúc / Received</th>"
            "<th>Cảnh báo / Alert</th><th>Tóm tắt / Summary</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></body></html>"
        )

    def rss(self, base: str) -> str:
        items = []
        with self.lock:
            articles = sorted(self.articles, key=lambda x: x.published, reverse=True)
        for a in articles:
            items.append(
                f"<item><title>{html.escape(a.topic.title)}</title>"
                f"<link>{base}{a.path}</link><guid>{base}{a.path}</guid>"
                f"<description>{html.escape(a.topic.description)}</description>"
                f"<pubDate>{format_datetime(a.published.astimezone(VN_TZ))}</pubDate></item>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Tin mới nhất - Tin Nhanh Demo</title><link>{base}/</link>"
            "<description>Trang tin giả lập cho duluan demo</description>"
            + "".join(items)
            + "</channel></rss>"
        )

    def article_page(self, article: Article) -> str:
        local = article.published.astimezone(VN_TZ)
        body = "".join(f'<p class="Normal">{html.escape(p)}</p>' for p in article.topic.body)
        return ARTICLE_PAGE.format(
            title=html.escape(article.topic.title),
            description=html.escape(article.topic.description),
            article_id=article.article_id,
            site_id=SITE_ID,
            category=1001000 + sum(map(ord, article.topic.category)) % 1000,
            section=slug(article.topic.category),
            category_name=html.escape(article.topic.category),
            published=local.isoformat(),
            date_text=f"{WEEKDAYS[local.weekday()]}, {local.day}/{local.month}/{local.year}, "
            f"{local:%H:%M} (GMT+7)",
            body=body,
        )

    def comments_page(self, query: dict[str, str]) -> dict[str, Any]:
        with self.lock:
            return self._comments_page(query)

    def _comments_page(self, query: dict[str, str]) -> dict[str, Any]:
        article = self.by_id.get(int(query.get("objectid", "0") or 0))
        offset, limit = int(query.get("offset", 0)), min(int(query.get("limit", 25)), 1000)
        if article is None:
            return {
                "error": 0,
                "errorDescription": "",
                "data": {"total": 0, "totalitem": 0, "items": [], "offset": offset},
            }
        ordered = sorted(article.comments, key=lambda c: -c.creation_time)
        return {
            "error": 0,
            "errorDescription": "",
            "iscomment": 1,
            "data": {
                "total": len(ordered),
                "totalitem": article.total_items(),
                "items": [c.as_api(embed_replies=2) for c in ordered[offset : offset + limit]],
                "offset": offset,
            },
        }

    def replies_page(self, query: dict[str, str]) -> dict[str, Any]:
        with self.lock:
            return self._replies_page(query)

    def _replies_page(self, query: dict[str, str]) -> dict[str, Any]:
        parent = self.comments.get(int(query.get("id", "0") or 0))
        offset, limit = int(query.get("offset", 0)), min(int(query.get("limit", 25)), 1000)
        replies = sorted(parent.replies, key=lambda c: c.creation_time) if parent else []
        return {
            "error": 0,
            "errorDescription": "",
            "data": {
                "items": [r.as_api() for r in replies[offset : offset + limit]],
                "total": len(replies),
                "offset": offset,
                "parent_id": parent.comment_id if parent else 0,
            },
        }


def _address(server: Any) -> str:
    host, port = server.server_address[:2]
    return f"{host}:{port}"


def _handler(site: DemoSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _send(self, status: int, body: str, ctype: str) -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            base = f"http://{self.headers.get('Host') or _address(self.server)}"
            path = parts.path
            if path == "/hooks":
                self._send(200, site.hooks_page(), "text/html; charset=utf-8")
                return
            if path == "/hooks.json":
                with site.lock:
                    body = json.dumps(site.hooks, ensure_ascii=False)
                self._send(200, body, "application/json; charset=utf-8")
                return
            if path == "/robots.txt":
                self._send(200, "User-agent: *\nAllow: /\n", "text/plain; charset=utf-8")
            elif path in ("/rss/tin-moi-nhat.rss", "/rss/tin-moi-nhat"):
                self._send(200, site.rss(base), "application/rss+xml; charset=utf-8")
            elif path in ("/index/get", "/index/getreplay"):
                payload = (site.comments_page if path == "/index/get" else site.replies_page)(query)
                body = json.dumps(payload, ensure_ascii=False)
                callback = query.get("callback")
                if callback:
                    self._send(200, f"{callback}({body});", "application/javascript; charset=utf-8")
                else:
                    self._send(200, body, "application/json; charset=utf-8")
            elif path == "/":
                links = "".join(
                    f'<li><a href="{a.path}">{html.escape(a.topic.title)}</a></li>'
                    for a in site.articles
                )
                self._send(
                    200, f"<html><body><ul>{links}</ul></body></html>", "text/html; charset=utf-8"
                )
            else:
                with site.lock:
                    article = next((a for a in site.articles if a.path == path), None)
                if article is None:
                    self._send(404, "not found", "text/plain; charset=utf-8")
                else:
                    self._send(200, site.article_page(article), "text/html; charset=utf-8")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(length, 1_000_000))
            if urlsplit(self.path).path != "/hooks/alerts":
                self._send(404, "not found", "text/plain; charset=utf-8")
                return
            site.receive_hook(body, {k.lower(): v for k, v in self.headers.items()})
            self._send(200, '{"ok": true}', "application/json")

    return Handler


@dataclass
class DemoServer:
    """A running demo site: its HTTP server, base URL and content (to publish into)."""

    server: ThreadingHTTPServer
    base_url: str
    site: DemoSite

    def stop(self) -> None:
        self.site.stop_publishing()
        self.server.shutdown()


def start_demo_site(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    seed: int = 2026,
    comments: int = 300,
    history_days: float = 2.0,
    spike: int = 0,
    busy_hours: int = 0,
    now: datetime | None = None,
) -> DemoServer:
    """Start the demo site in a daemon thread (`stop()` ends it)."""
    articles = build_site(
        now,
        seed=seed,
        comments=comments,
        history_days=history_days,
        spike=spike,
        busy_hours=busy_hours,
    )
    site = DemoSite(articles, seed=seed)
    server = ThreadingHTTPServer((host, port), _handler(site))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="duluan-demo-site", daemon=True)
    thread.start()
    return DemoServer(server, f"http://{_address(server)}", site)


def serve_demo_site(
    host: str = "127.0.0.1", port: int = 0, *, seed: int = 2026, comments: int = 300
) -> tuple[ThreadingHTTPServer, str]:
    """Start the demo site in a daemon thread; returns (server, base_url). `server.shutdown()`
    stops it."""
    demo = start_demo_site(host, port, seed=seed, comments=comments)
    return demo.server, demo.base_url


if __name__ == "__main__":  # python -m crawlers.demo_site
    import time

    srv, url = serve_demo_site(port=8765)
    print(f"demo site at {url}/rss/tin-moi-nhat.rss", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        srv.shutdown()
