"""Photos placed by capture time: the event's time zone, EXIF offsets, camera clock
corrections with their preview, moves by hand, and EXIF read by the real pipeline."""

from __future__ import annotations

from archive.extensions import db
from archive.models import Photo, PhotoPlacement
from archive.pipeline import process_item
from archive.programme import editing, placement
from archive.programme.placement import AFTER, BEFORE, BETWEEN, IN_SESSION, UNDATED, CameraKey
from tests.programme.conftest import session_titled


def spots_of(event, photos):
    return placement.place_photos(event, photos)


def test_photo_without_offset_is_read_in_the_event_time_zone(baku, taken_photo):
    opening = session_titled(baku, "Opening ceremony")
    photo = taken_photo(baku, "2023-07-25T09:40")  # Baku time: inside 09:30-10:30
    spot = spots_of(baku, [photo])[photo.id]
    assert (spot.group, spot.session_id) == (IN_SESSION, opening.id)
    assert spot.instant.isoformat() == "2023-07-25T05:40:00"  # UTC+4


def test_photo_with_exif_offset_uses_it_not_the_event_zone(baku, taken_photo):
    opening = session_titled(baku, "Opening ceremony")
    utc_camera = taken_photo(baku, "2023-07-25T05:40", offset_minutes=0)  # 09:40 in Baku
    paris_camera = taken_photo(baku, "2023-07-25T07:40", offset_minutes=120)  # 09:40 in Baku
    misread = taken_photo(baku, "2023-07-25T09:40", offset_minutes=0)  # 13:40 in Baku
    spots = spots_of(baku, [utc_camera, paris_camera, misread])
    assert spots[utc_camera.id].session_id == opening.id
    assert spots[paris_camera.id].session_id == opening.id
    assert spots[misread.id].group == BETWEEN
    assert spots[misread.id].after_session_id == opening.id


def test_photos_outside_every_session_and_without_time(baku, taken_photo):
    before = taken_photo(baku, "2023-07-25T08:50")
    between = taken_photo(baku, "2023-07-26T08:00")  # the next morning, before the panel
    after = taken_photo(baku, "2023-07-26T18:00")
    undated = taken_photo(baku, None)
    spots = spots_of(baku, [before, between, after, undated])
    assert [spots[p.id].group for p in (before, between, after, undated)] == [
        BEFORE,
        BETWEEN,
        AFTER,
        UNDATED,
    ]
    assert spots[between.id].after_session_id == session_titled(baku, "Site visits").id


def test_session_end_is_exclusive_and_start_inclusive(baku, taken_photo):
    at_start = taken_photo(baku, "2023-07-25T09:30")
    at_end = taken_photo(baku, "2023-07-25T10:30")
    spots = spots_of(baku, [at_start, at_end])
    assert spots[at_start.id].group == IN_SESSION
    assert spots[at_end.id].group == BETWEEN


def test_changing_the_event_time_zone_moves_photos_without_offset(baku, taken_photo):
    photo = taken_photo(baku, "2023-07-25T09:40")
    fixed = taken_photo(baku, "2023-07-25T05:40", offset_minutes=0)
    baku.timezone = "UTC"  # the programme stays at 09:30 local, now UTC
    db.session.commit()
    spots = spots_of(baku, [photo, fixed])
    assert spots[photo.id].group == IN_SESSION  # 09:40 local is still inside
    assert spots[fixed.id].group == BEFORE  # 05:40Z is before 09:30Z


def test_daylight_saving_time_is_applied_by_the_zone(make_event, taken_photo):
    from datetime import date, time

    from archive.programme.editing import SessionFields, create_session

    event = make_event("berlin", "Berlin", start_date=date(2024, 3, 31), timezone="Europe/Berlin")
    create_session(event, SessionFields("Morning", date(2024, 3, 31), time(9), time(10)))
    db.session.commit()
    photo = taken_photo(event, "2024-03-31T07:30", offset_minutes=0)  # 09:30 CEST (UTC+2)
    assert spots_of(event, [photo])[photo.id].group == IN_SESSION


def test_camera_offset_preview_changes_nothing_then_apply_moves_only_that_camera(baku, taken_photo):
    slow = ("Canon", "EOS R5", "111")
    other = ("Canon", "EOS R5", "222")
    late = taken_photo(baku, "2023-07-25T08:50", camera=slow)  # really 09:50: opening
    same_model = taken_photo(baku, "2023-07-25T08:50", camera=other)  # right clock: before
    undated = taken_photo(baku, None, camera=slow)
    key = CameraKey(*slow)
    preview = placement.preview_offset(baku, key, 3600)
    assert (preview.photos, preview.dated, preview.moved, preview.current) == (2, 1, 1, 0)
    assert preview.moves[0].source == (BEFORE, None)
    assert preview.moves[0].target == (IN_SESSION, session_titled(baku, "Opening ceremony").id)
    assert spots_of(baku, [late])[late.id].group == BEFORE  # a preview saves nothing
    placement.set_camera_offset(baku, key, 3600)
    db.session.commit()
    spots = spots_of(baku, [late, same_model, undated])
    assert spots[late.id].group == IN_SESSION
    assert spots[same_model.id].group == BEFORE
    assert spots[undated.id].group == UNDATED
    placement.set_camera_offset(baku, key, 0)  # zero removes the correction
    db.session.commit()
    assert spots_of(baku, [late])[late.id].group == BEFORE


def test_cameras_list_each_body_with_its_correction(baku, taken_photo):
    taken_photo(baku, "2023-07-25T09:40", camera=("Canon", "EOS R5", "111"))
    taken_photo(baku, "2023-07-25T09:45", camera=("Canon", "EOS R5", "111"))
    taken_photo(baku, None, camera=("", "", ""))
    placement.set_camera_offset(baku, CameraKey("Canon", "EOS R5", "111"), -600)
    db.session.commit()
    cameras = {c.key.label: c for c in placement.cameras(baku)}
    canon = cameras["Canon EOS R5 (serial 111)"]
    assert (canon.photos, canon.dated, canon.offset_seconds) == (2, 2, -600)
    assert canon.first.isoformat() == "2023-07-25T09:30:00"  # corrected by -10 minutes
    assert cameras["Unknown camera"].dated == 0


def test_manual_move_overrides_time_and_survives_a_clock_correction(baku, taken_photo, make_user):
    staff = make_user("sam", "staff")
    panel = session_titled(baku, "Panel: digital identity")
    photo = taken_photo(baku, "2023-07-25T09:40")
    assert placement.move_photos(baku, [photo.id], panel.id, staff) == 1
    db.session.commit()
    spot = spots_of(baku, [photo])[photo.id]
    assert (spot.session_id, spot.manual) == (panel.id, True)
    preview = placement.preview_offset(baku, CameraKey("Canon", "EOS R5", ""), 7200)
    assert (preview.manual, preview.moved) == (1, 0)
    placement.move_photos(baku, [photo.id], None, staff)  # back to placement by time
    db.session.commit()
    assert (
        spots_of(baku, [photo])[photo.id].session_id == session_titled(baku, "Opening ceremony").id
    )


def test_deleting_a_session_returns_its_hand_placed_photos_to_time(baku, taken_photo, make_user):
    panel = session_titled(baku, "Panel: digital identity")
    photo = taken_photo(baku, "2023-07-25T09:40")
    placement.move_photos(baku, [photo.id], panel.id, make_user("sam", "staff"))
    db.session.commit()
    editing.delete_session(panel)
    db.session.commit()
    assert db.session.get(PhotoPlacement, photo.id) is None
    assert spots_of(baku, [photo])[photo.id].group == IN_SESSION


def test_moves_ignore_photos_of_other_events_and_refuse_foreign_sessions(
    baku, make_event, taken_photo, make_user
):
    import pytest

    from archive.programme.drafts import ProgrammeError

    other = make_event("other", "Other")
    stranger = taken_photo(other, "2023-07-25T09:40")
    staff = make_user("sam", "staff")
    panel = session_titled(baku, "Panel: digital identity")
    assert placement.move_photos(baku, [stranger.id], panel.id, staff) == 0
    with pytest.raises(ProgrammeError):
        placement.move_photos(other, [stranger.id], panel.id, staff)


def test_parallel_sessions_take_the_one_that_started_last(baku, taken_photo):
    from datetime import date, time

    from archive.programme.editing import SessionFields, create_session

    workshop = create_session(
        baku, SessionFields("Workshop B", date(2023, 7, 25), time(10), time(11), room="Room 2")
    )
    db.session.commit()
    photo = taken_photo(baku, "2023-07-25T10:15")
    assert spots_of(baku, [photo])[photo.id].session_id == workshop.id


def test_exif_offset_and_serial_read_by_the_pipeline_place_the_photo(baku, make_jpeg, app):
    """A real JPEG through sniffing and the extraction sandbox: its OffsetTimeOriginal and
    BodySerialNumber are kept, and the photo lands in the session of its instant."""
    from archive.ingest import ItemFields, accept_file
    from archive.services import current_storage

    path = make_jpeg(
        taken="2023:07:26 07:45:00", offset="+00:00", make="Nikon", model="Z6", serial="SN77"
    )  # 11:45 in Baku: the panel
    with path.open("rb") as stream:
        outcome = accept_file(current_storage(), stream, "panel.jpg", baku, None, ItemFields())
    db.session.commit()
    assert process_item(outcome.item.id, "test") == "ready"
    photo = db.session.get(Photo, outcome.item.id)
    assert (photo.taken_offset_minutes, photo.camera_serial) == (0, "SN77")
    spot = spots_of(baku, [photo])[photo.id]
    assert spot.session_id == session_titled(baku, "Panel: digital identity").id
