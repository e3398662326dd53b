"""The programme pages in Russian: the timetable, its days and dates, the places of hits in
search results and their session facet, staff messages, and import problems."""

from __future__ import annotations

import io

from archive.extensions import db
from tests.conftest import Auth
from tests.programme.test_search import indexed  # noqa: F401 - the fixture
from tests.programme.test_views import world  # noqa: F401 - the fixture

RUSSIAN = {"Accept-Language": "ru"}


def russian(app, username):
    client = app.test_client()
    Auth(client).login(username)
    return client


def test_the_timetable_speaks_russian(app, world):  # noqa: F811
    html = (
        russian(app, "researcher").get("/events/baku-2023", headers=RUSSIAN).get_data(as_text=True)
    )
    assert '<h2 id="programme-heading">Программа</h2>' in html
    assert "День 1" in html and "День 2" in html and "вт, 25 июля 2023" in html
    assert "Модератор: Alikhan Baimenov" in html and "Время местное: Asia/Baku" in html
    assert "Day 1" not in html and "Chair:" not in html and "July" not in html


def test_hits_say_their_place_in_russian(app, indexed):  # noqa: F811
    client = russian(app, "researcher")
    html = client.get("/search/?q=x-road", headers=RUSSIAN).get_data(as_text=True)
    assert "Программа:</span> День 2, 10:30, Panel: digital identity" in html
    event_id = indexed["deck"].event_id
    html = client.get(f"/search/?q=x-road&event={event_id}", headers=RUSSIAN).get_data(as_text=True)
    assert html.count("День 2, 10:30, Panel: digital identity") == 2  # the hit and the facet
    assert "Day 2" not in html
    deck = client.get(f"/presentations/{indexed['deck'].id}", headers=RUSSIAN).get_data(
        as_text=True
    )
    assert "Представлена в программе:" in deck and "День 2, 10:30, Panel" in deck


def test_staff_messages_and_import_problems_in_russian(app, world):  # noqa: F811
    staff = russian(app, "staff")
    staff.post("/language", data={"locale": "ru", "next": "/"})
    answer = staff.post(
        "/events/baku-2023/programme/sessions",
        data={"title": "Закрытие", "day": "2023-07-26", "start": "17:00", "end": "16:00"},
    )
    assert answer.status_code == 400
    assert "Сессия должна заканчиваться позже, чем начинается." in answer.get_data(as_text=True)
    staff.post(
        "/events/baku-2023/programme/sessions",
        data={"title": "Закрытие", "day": "2023-07-26", "start": "17:00", "end": "18:00"},
    )
    assert "Сессия «Закрытие» добавлена." in staff.get("/events/baku-2023/programme/edit").get_data(
        as_text=True
    )

    def import_problems(csv: str) -> str:
        return staff.post(
            "/events/baku-2023/programme/import",
            data={"file": (io.BytesIO(csv.encode()), "p.csv")},
            content_type="multipart/form-data",
        ).get_data(as_text=True)

    html = import_problems("day,start,end,session\n2023-07-25,09:00,x,A\n2023-07-25,y,10:00,B\n")
    assert "Ничего не импортировано: нужно исправить 2 ошибки" in html
    assert "строка 2, столбец end: &#39;x&#39; — не время вида 09:30" in html
    html = import_problems("day,start,end,session\n2023-08-01,09:00,10:00,B\n")
    assert "Ничего не импортировано: нужно исправить 1 ошибку" in html
    assert "1 августа 2023" in html and "не входит в даты мероприятия" in html
    db.session.rollback()
