"""Offline language detection on page text."""

import pytest

from archive.ingest.language import detect_language


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
