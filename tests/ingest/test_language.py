"""Offline language detection on page text."""

import pytest

from archive.ingest.language import (
    classify_language,
    detect_language,
    detect_languages,
    dominant_script,
    language_by_script,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("This workshop discussed broadband policy and the digital divide.", "en"),
        ("На семинаре обсуждались вопросы цифровой политики и широкополосного доступа.", "ru"),
        ("Семинарда цифрлық саясат пен кеңжолақты қолжетімділік мәселелері талқыланды.", "kk"),
        ("Seminarda rəqəmsal siyasət və genişzolaqlı internet məsələləri müzakirə edildi.", "az"),
        ("Im Workshop wurden Fragen der digitalen Verwaltung diskutiert.", "de"),
        ("في ورشة العمل ناقشنا سياسات النطاق العريض والتحول الرقمي", "ar"),
        ("研讨会讨论了宽带政策和数字鸿沟的问题以及未来的发展方向。", "zh"),
    ],
)
def test_languages(text, expected):
    assert detect_language(text) == expected


@pytest.mark.parametrize("text", ["", "OK", "TCP/IP DNS", "12 345 678 2024", "• • •"])
def test_too_short_to_tell(text):
    assert detect_language(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "Дата подписи",  # the model says Ukrainian, unsure
        "Список участников",
        "Фамилия, имя",
        "Анкета",
        "Подпись: ________ Дата: ____",
        "Объявление",
    ],
)
def test_short_cyrillic_text_is_russian(text):
    assert detect_language(text) == "ru"


def test_a_cyrillic_hint_decides_between_cyrillic_languages_when_unsure():
    assert detect_language("Дата подписи", hint="kk") == "kk"
    assert detect_language("Дата подписи", hint="en") == "ru"  # a Latin hint cannot apply


def test_letters_of_another_cyrillic_language_win_over_the_hint():
    assert detect_language("Қатысушылар тізімі", hint="ru") == "kk"
    assert detect_language("Їжа та ґанок", hint="ru") == "uk"


def test_russian_letters_overrule_a_model_that_names_another_cyrillic_language():
    assert classify_language("Объявление о регистрации участников семинара") == "ru"


def test_short_latin_text_is_named_only_by_its_letters_or_a_latin_hint():
    assert detect_language("Qeydiyyat forması üçün") == "az"  # no ə: short, unsure
    assert detect_language("Sign here") is None
    assert detect_language("Sign here", hint="en") == "en"
    assert detect_language("Sign here", hint="ru") is None
    assert detect_language("Mənbə") == "az"


def test_the_script_needs_a_few_letters():
    assert language_by_script("Да") is None
    assert dominant_script("12345 ....") is None


def test_a_document_is_detected_once_and_a_page_that_disagrees_alone():
    english = "This workshop discussed broadband policy and the digital divide in rural areas."
    russian = "На семинаре обсуждались вопросы цифровой политики и широкополосного доступа."
    pages = [english, english.upper(), "12 345", russian, english, ""]
    assert detect_languages(pages) == ["en", "en", None, "ru", "en", None]
    assert detect_languages([]) == [] and detect_languages(["", ""]) == [None, None]


def test_pages_agreeing_with_the_document_read_only_their_start(monkeypatch):
    from archive.ingest import language

    english = "The digital divide persists in rural areas and small towns. " * 40
    seen: list[int] = []
    real = language.identifier()

    class Recording:
        def classify(self, text):
            seen.append(len(text))
            return real.classify(text)

    monkeypatch.setattr(language, "identifier", Recording)
    assert detect_languages([english] * 10) == ["en"] * 10
    assert max(seen) <= language.SAMPLE_CHARS
    assert sum(seen) <= language.SAMPLE_CHARS + 10 * language.CHECK_CHARS
