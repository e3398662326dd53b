"""The event programme: sessions, talks and rooms, decks attached to talks, and photos
placed into the sessions by the time they were taken.

- `clock`: time zones, and the ways organisers write days, times and clock corrections.
- `drafts`: a programme read from a file, and the problems found in it (row and column).
- `csvformat`, `tomlformat`: the spreadsheet format and the event.toml `[[sessions]]`.
- `applying`: a draft checked against its event and written in one transaction.
- `editing`: sessions and talks added, changed, reordered, deleted; decks attached.
- `placement`: photos placed by capture time, camera clock corrections, moves by hand.
- `timetable`: the programme arranged by day for one user's view (pages and API).
- `facts`: what the search index learns from the programme (session, label, words).
- `finding`: sessions and talks found by their words on the search page.

Services only: they flush, and the caller (view, command) commits, audits and re-indexes.
"""
