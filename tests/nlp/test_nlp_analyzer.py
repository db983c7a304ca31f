"""Behaviour of `analyze` on invented comments: robust, consistent, sensible."""

from __future__ import annotations

import pytest

from duluan.core.models import Analysis
from nlp import TOPIC_IDS, TOPIC_NAMES, Analyzer, analyze
from nlp.lexicon import STOPWORDS


def test_odd_input_never_raises(analyzer: Analyzer) -> None:
    odd = [
        "",
        "   ",
        "😀😀😀",
        "Bài viết rất hay " * 6000,  # ~100 KB
        "The quick brown fox jumps over the lazy dog",
        "lone \ud800 surrogate \udfff here",
        "<div class='x'><b>Tin n&oacute;ng</b> &amp; <a href='#'>xem th&ecirc;m</a></div>",
        "\x00\x07\x1b[31m",
        "12/12/2024 10:30 150.000đ",
        "ﾟ･✿ヾ╲(｡◕‿◕｡)╱✿･ﾟ",
    ]
    results = analyzer.analyze(odd)
    assert len(results) == len(odd)
    assert all(isinstance(r, Analysis) for r in results)
    assert results[0].language == "empty"
    assert results[4].language == "en"
    assert results[4].sentiment.label == "neutral" and results[4].sentiment.score < 0.5
    assert "Tin nóng" in results[6].normalized_text
    for r in results:
        r.model_dump_json()  # serialisable: no surrogates leak out


def test_non_str_items_do_not_raise(analyzer: Analyzer) -> None:
    results = analyzer.analyze([None, 42, "ok"])  # type: ignore[list-item]
    assert len(results) == 3


def test_order_and_versions(analyzer: Analyzer) -> None:
    texts = ["Sản phẩm tuyệt vời, rất hài lòng", "Hàng tệ quá, thất vọng", ""] * 3
    results = analyzer.analyze(texts)
    assert [r.sentiment.label for r in results[:2]] == ["positive", "negative"]
    assert results[3].sentiment.label == "positive"
    assert results[0].model_versions["backend"] == "classical"
    assert "classical" in results[0].model_versions


@pytest.mark.parametrize(
    ("accented", "plain", "label"),
    [
        (
            "Nhân viên phục vụ rất nhiệt tình, tôi rất hài lòng",
            "nhan vien phuc vu rat nhiet tinh, toi rat hai long",
            "positive",
        ),
        (
            "Chất lượng quá tệ, không bao giờ mua lại nữa",
            "chat luong qua te, khong bao gio mua lai nua",
            "negative",
        ),
        (
            "Giao hàng nhanh, đóng gói cẩn thận, sẽ ủng hộ tiếp",
            "giao hang nhanh, dong goi can than, se ung ho tiep",
            "positive",
        ),
        (
            "Máy nóng kinh khủng, pin tụt rất nhanh, thất vọng",
            "may nong kinh khung, pin tut rat nhanh, that vong",
            "negative",
        ),
    ],
)
def test_no_diacritics_same_sentiment(
    analyzer: Analyzer, accented: str, plain: str, label: str
) -> None:
    a, b = analyzer.analyze([accented, plain])
    assert a.sentiment.label == label
    assert b.sentiment.label == label
    assert b.language == "vi"


def test_teencode_sentiment(analyzer: Analyzer) -> None:
    a = analyzer.analyze(["sp ko dc như quảng cáo, chán quáaaa 😡"])[0]
    assert a.sentiment.label == "negative"


def test_topics(analyzer: Analyzer) -> None:
    cases = {
        "Đội tuyển bóng đá thắng đậm, tiền đạo ghi hai bàn, HLV rất hài lòng": "sports",
        "Bác sĩ khuyên nên tiêm vaccine, bệnh viện quá tải vì dịch cúm": "health",
        "Học sinh thi tốt nghiệp, điểm chuẩn đại học năm nay tăng": "education",
        "Xe máy điện đi được bao nhiêu km một lần sạc, giá ô tô năm nay giảm": "vehicles",
    }
    results = analyzer.analyze(list(cases))
    for r, want in zip(results, cases.values(), strict=True):
        assert r.topics, r
        assert r.topics[0].label == want
        assert all(t.label in TOPIC_IDS for t in r.topics)
        scores = [t.score for t in r.topics]
        assert scores == sorted(scores, reverse=True)
    assert set(TOPIC_NAMES) == set(TOPIC_IDS)
    assert all({"vi", "en"} <= set(v) for v in TOPIC_NAMES.values())


def test_keywords_are_clean(analyzer: Analyzer) -> None:
    a = analyzer.analyze(["Giá xăng hôm nay lại tăng mạnh, người dân ở Hà Nội rất lo lắng!!!"])[0]
    assert a.keywords
    for k in a.keywords:
        assert k == k.lower()
        assert k not in STOPWORDS
        assert all(ch.isalnum() or ch == " " for ch in k)
    assert "xăng" in a.keywords or "giá xăng" in a.keywords
    assert any(e.text == "Hà Nội" and e.type == "LOC" for e in a.entities)


def test_toxicity_flags_insults(analyzer: Analyzer) -> None:
    rude, polite = analyzer.analyze(
        [
            "Thằng ngu này câm mồm đi, đồ óc chó, loại mất dạy",
            "Cảm ơn bài viết rất bổ ích, chúc tác giả sức khỏe",
        ]
    )
    assert rude.toxic.label is True
    assert polite.toxic.label is False
    assert rude.toxic.score > polite.toxic.score


def test_toxicity_reads_chat_spellings_and_not_engine_sizes(analyzer: Analyzer) -> None:
    """Session 18: chat spellings of vulgar words were clean ("đuma" 0.02, "dek" 0.08) and a
    motorbike's "150 cc" was toxic (0.59, the vulgar "cc"); "thằng" naming a son was 0.80."""
    vulgar = analyzer.analyze(["đuma tao đang ở đấy", "mày dek làm được", "cảm động vleu"])
    clean = analyzer.analyze(
        [
            "con Winner 150 cc giá bao nhiêu",
            "bản 125cc tiết kiệm xăng lắm",
            "thằng bé nhà tôi học giỏi lắm",
        ]
    )
    assert [a.toxic.label for a in vulgar] == [True, True, True]
    assert [a.toxic.label for a in clean] == [False, False, False]


def test_aspects_for_product_talk(analyzer: Analyzer) -> None:
    a = analyzer.analyze(["Pin dùng được hai ngày, camera chụp rất đẹp, nhưng giá hơi cao"])[0]
    got = {x.aspect: x.polarity for x in a.aspects}
    assert got.get("battery") == "positive"
    assert got.get("camera") == "positive"
    b = analyzer.analyze(["Hôm nay trời đẹp"])[0]
    assert not b.aspects


def test_module_level_analyze() -> None:
    assert analyze(["tốt"])[0].language == "vi"


def test_fillers_and_time_words_are_not_keywords(analyzer: Analyzer) -> None:
    a = analyzer.analyze(["Thầy dạy dễ hiểu lắm, nhờ thầy mà con em tiến bộ hẳn từ tối hôm qua"])[0]
    assert "tiến bộ" in a.keywords
    assert not {"hẳn", "nhờ", "lắm", "tối", "hôm qua"} & set(a.keywords)


def test_names_survive_segmentation_and_normalization(analyzer: Analyzer) -> None:
    got = analyzer.analyze(["Quang Hải sút phạt đẹp quá", "Chủ tịch Nguyễn Văn A nói chiều nay"])
    assert [e.text for e in got[0].entities] == ["Quang Hải"]  # segmenter glued "sút" on
    assert any(e.text == "Nguyễn Văn A" and e.type == "PER" for e in got[1].entities)


def test_price_rises_read_as_bad_news_for_the_people_talking(analyzer: Analyzer) -> None:
    """ "giá" and "mạnh" are praise in product reviews; a price rise is not."""
    from nlp.opinion import opinion_features

    assert "<lex_neg>" in opinion_features("giá xăng tăng mạnh")
    assert "<lex_neg>" in opinion_features("gia xang tang manh")
    assert "<lex_pos>" in opinion_features("lãi suất giảm")
    assert "<lex_neg>" not in opinion_features("giá xăng không tăng")
    assert "<lex_neg>" not in opinion_features("giá trị căn nhà tăng")
    got = analyzer.analyze(
        [
            "Giá xăng tăng mạnh, người dân lo lắng",
            "Học phí lại tăng, sinh viên khổ",
            "Giá xăng giảm rồi, mừng quá",
        ]
    )
    assert [a.sentiment.label for a in got] == ["negative", "negative", "positive"]


def test_organisations_written_the_vietnamese_way(analyzer: Analyzer) -> None:
    """Only the first syllable of each word is capitalised in "Ngân hàng Nhà nước"."""
    texts = [
        "Hôm qua Bộ Y tế họp khẩn",
        "Ngân hàng Nhà nước điều chỉnh lãi suất",
        "Bộ trưởng Bộ Giáo dục và Đào tạo Nguyễn Kim Sơn phát biểu",
    ]
    got = [[(e.text, e.type) for e in a.entities] for a in analyzer.analyze(texts)]
    assert got[0] == [("Bộ Y tế", "ORG")]
    assert got[1] == [("Ngân hàng Nhà nước", "ORG")]
    assert got[2] == [("Bộ Giáo dục và Đào tạo", "ORG"), ("Nguyễn Kim Sơn", "PER")]
    assert analyzer.analyze(["Hôm nay trời đẹp"])[0].entities == []  # sentence-initial words


def test_capitalised_pronouns_are_not_places_or_names(analyzer: Analyzer) -> None:
    """Comments capitalise "Anh" (you; also Britain) and "Bác" out of respect: until session
    17 "Anh nói đúng" gave the place "Anh", 59 times in 13,600 real comments. A kin word
    before a country's name makes it a person ("chị Nga")."""
    texts = [
        "Anh nói đúng quá",
        "Em thấy Anh nói đúng, cảm ơn Bác nhiều",
        "Tôi sống ở Anh 5 năm",
        "Thủ tướng Anh vừa từ chức",
        "Meghan không phải người Anh",
        "Hôm qua chị Nga bán hàng rất nhiệt tình",
        "Tổng thống Nga phát biểu",
    ]
    got = [[(e.text, e.type) for e in a.entities] for a in analyzer.analyze(texts)]
    assert got[:2] == [[], []]
    assert got[2] == got[3] == got[4] == [("Anh", "LOC")]
    assert got[5] == [("Nga", "PER")]
    assert got[6] == [("Nga", "LOC")]


def test_a_line_break_ends_a_sentence_for_entities(analyzer: Analyzer) -> None:
    """Normalization joins lines, so a capitalised word opening a line read as a name ("Cơn",
    "Giá" in the demo) and a name ran on across the break ("Messi Messi"), until session 18."""
    texts = [
        "Trời hôm nay mưa to quá\nCơn mưa kéo dài cả buổi chiều",
        "Tôi thích Messi\nMessi là số 1",
        "Đội tuyển Việt Nam thắng\r\n\nNga thua đậm",
        "Trời hôm nay mưa to quá Cơn mưa kéo dài",  # one line: a mid-sentence capital stays
    ]
    got = [[(e.text, e.type) for e in a.entities] for a in analyzer.analyze(texts)]
    assert got[0] == []
    assert got[1] == [("Messi", "MISC")]
    assert got[2] == [("Việt Nam", "LOC"), ("Nga", "LOC")]
    assert got[3] == [("Cơn", "MISC")]


def test_an_articles_lead_opens_a_sentence(analyzer: Analyzer) -> None:
    """The worker and the importer read title and text joined; with a space, the lead's first
    word ran on from the title: the demo's top entities held "Cơn", "Giá" and "Việt Nam Sản
    phẩm" (session 18). `Post.analysis_text` puts the text on a line of its own."""
    from datetime import UTC, datetime

    from duluan.core.models import Post

    post = Post(
        id="demo:article:1",
        source="demo",
        kind="article",
        title="Mẫu điện thoại mới lên kệ tại Việt Nam",
        text="Sản phẩm có camera 200 megapixel.\nCơn sốt đặt trước vẫn chưa hạ nhiệt.",
        created_at=datetime(2026, 12, 8, tzinfo=UTC),
    )
    got = analyzer.analyze([post.analysis_text()])[0]
    assert [(e.text, e.type) for e in got.entities] == [("Việt Nam", "LOC")]
    joined = analyzer.analyze([f"{post.title} {post.text}"])[0]
    assert got.normalized_text == joined.normalized_text  # the model reads the same text
    assert got.sentiment == joined.sentiment


def test_an_organisation_word_alone_is_not_a_name(analyzer: Analyzer) -> None:
    """ "Bệnh viện quá tải", "Công ty thoát nước đã..." and "CLB" (the club; 16 times in 13,600
    real comments) were organisations in the demo's and real comments' top entities (session
    18). The Assembly and the government alone are one body each."""
    texts = [
        "Bệnh viện quá tải vì sốt xuất huyết",
        "Mưa to cả đêm.\nCông ty thoát nước đã huy động lực lượng.",
        "Đội này mua cầu thủ thì CLB phải trả lương cao",
        "Quốc hội thông qua luật mới, Chính phủ sẽ hướng dẫn thi hành",
        "Bệnh viện Bạch Mai tiếp nhận bệnh nhân",
    ]
    got = [[(e.text, e.type) for e in a.entities] for a in analyzer.analyze(texts)]
    assert got[:3] == [[], [], []]
    assert got[3] == [("Quốc hội", "ORG"), ("Chính phủ", "ORG")]
    assert got[4] == [("Bệnh viện Bạch Mai", "ORG")]


def test_anh_listed_beside_a_country_is_britain(analyzer: Analyzer) -> None:
    """ "Mỹ, Anh, Pháp" and a sentence-initial "Anh và Pháp" lost "Anh" to the pronoun rule
    (session 17); beside a pronoun it is still none ("Tôi và Anh")."""
    texts = [
        "Mỹ, Anh, Pháp đều lên tiếng.",
        "Anh và Pháp phản đối kế hoạch này.",
        "Tôi và Anh đi chơi.",
    ]
    got = [[(e.text, e.type) for e in a.entities] for a in analyzer.analyze(texts)]
    assert got[0] == [("Mỹ", "LOC"), ("Anh", "LOC"), ("Pháp", "LOC")]
    assert got[1] == [("Anh", "LOC"), ("Pháp", "LOC")]
    assert got[2] == []


def test_units_and_currencies_are_not_entities(analyzer: Analyzer) -> None:
    """ "128 GB", "50 MP", "500 USD" were organisations in the demo's and real comments' top
    entities (session 17); names beside them stay."""
    texts = ["Máy có RAM 8 GB, bộ nhớ 128 GB", "Camera 50 MP, giá 500 USD ở Hà Nội"]
    got = [[(e.text, e.type) for e in a.entities] for a in analyzer.analyze(texts)]
    assert got == [[], [("Hà Nội", "LOC")]]
