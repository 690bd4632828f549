"""Tests of the registry: lazy validation, readers and writers, geocoding, history."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import DATA, NAMES, WEEK, make_registry, problem_cells, tiny_frames

import matchkracht as mk
from matchkracht import InvalidRegistryError, MatchkrachtError, Registry
from matchkracht.data.parsing import WeeklyWindow
from matchkracht.data.registry import TABLES

Frames = dict[str, pd.DataFrame]


def _error(frames: Frames, **kwargs: Any) -> InvalidRegistryError:
    with pytest.raises(InvalidRegistryError) as info:
        make_registry(frames, **kwargs)
    return info.value


def _assert_one_problem(
    frames: Frames, table: str, row: int | None, column: str, value: Any = None
) -> InvalidRegistryError:
    """Building a registry from ``frames`` fails with exactly this one problem."""
    err = _error(frames)
    assert isinstance(err, ValueError)
    assert isinstance(err, MatchkrachtError)
    assert list(err.problems.columns) == ["table", "row", "column", "value", "expected"]
    assert problem_cells(err) == {(table, row, column)}, err.problems.to_string()
    if value is not None:
        assert err.problems["value"].iloc[0] == value
    assert err.problems["expected"].iloc[0]
    text = str(err)
    assert table in text
    if column:
        assert f"'{column}'" in text
    if row is not None:
        assert f"row {row}" in text
    for name in NAMES:
        assert name not in text
    return err


def _set(frame: pd.DataFrame, row: int, column: str, value: Any) -> None:
    """Set a cell by spreadsheet row number (header = row 1), as a text cell."""
    frame[column] = frame[column].astype(object)
    frame.loc[row - 2, column] = value


# -- one test per invalid-input case ---------------------------------------------------------
def test_missing_required_column(frames: Frames) -> None:
    frames["volunteers"] = frames["volunteers"].drop(columns="availability")
    _assert_one_problem(frames, "volunteers", None, "availability")


def test_missing_required_column_of_needs(frames: Frames) -> None:
    frames["needs"] = frames["needs"].drop(columns="window")
    _assert_one_problem(frames, "needs", None, "window")


def test_missing_coordinates_columns(frames: Frames) -> None:
    frames["volunteers"] = frames["volunteers"].drop(columns=["lat", "lon"])
    err = _error(frames)
    assert problem_cells(err) == {("volunteers", None, "lat"), ("volunteers", None, "lon")}


def test_duplicate_id(frames: Frames) -> None:
    _set(frames["volunteers"], 4, "volunteer_id", "V1")
    err = _assert_one_problem(frames, "volunteers", 4, "volunteer_id", "V1")
    assert "row 2" in err.problems["expected"].iloc[0]


def test_duplicate_need_id(frames: Frames) -> None:
    _set(frames["needs"], 3, "need_id", "N1")
    _assert_one_problem(frames, "needs", 3, "need_id", "N1")


def test_need_with_unknown_client(frames: Frames) -> None:
    _set(frames["needs"], 3, "client_id", "C9")
    _assert_one_problem(frames, "needs", 3, "client_id", "C9")


def test_unknown_preferred_volunteer(frames: Frames) -> None:
    _set(frames["clients"], 2, "preferred_volunteers", "V1;V9")
    _assert_one_problem(frames, "clients", 2, "preferred_volunteers", "V9")


def test_unknown_excluded_volunteer(frames: Frames) -> None:
    _set(frames["clients"], 3, "excluded_volunteers", "V2; X7")
    _assert_one_problem(frames, "clients", 3, "excluded_volunteers", "X7")


def test_unknown_volunteer_in_history(frames: Frames) -> None:
    _set(frames["history"], 2, "volunteer_id", "V9")
    _assert_one_problem(frames, "history", 2, "volunteer_id", "V9")


def test_unknown_client_in_history(frames: Frames) -> None:
    _set(frames["history"], 2, "client_id", "C9")
    _assert_one_problem(frames, "history", 2, "client_id", "C9")


def test_unparsable_availability(frames: Frames) -> None:
    _set(frames["volunteers"], 2, "availability", "mon 9-12")
    _assert_one_problem(frames, "volunteers", 2, "availability", "mon 9-12")


def test_unknown_day_name(frames: Frames) -> None:
    _set(frames["volunteers"], 3, "availability", "lun 09:00-12:00")
    _assert_one_problem(frames, "volunteers", 3, "availability")


def test_empty_availability(frames: Frames) -> None:
    _set(frames["volunteers"], 3, "availability", "")
    _assert_one_problem(frames, "volunteers", 3, "availability")


def test_unparsable_window(frames: Frames) -> None:
    _set(frames["needs"], 2, "window", "10 to 11")
    _assert_one_problem(frames, "needs", 2, "window", "10 to 11")


def test_unparsable_rrule(frames: Frames) -> None:
    _set(frames["needs"], 2, "schedule", "FREQ=WEEKLY;BYDAY=XX")
    _assert_one_problem(frames, "needs", 2, "schedule")


def test_sub_daily_rrule(frames: Frames) -> None:
    _set(frames["needs"], 2, "schedule", "FREQ=HOURLY")
    _assert_one_problem(frames, "needs", 2, "schedule")


def test_unparsable_one_off_date(frames: Frames) -> None:
    _set(frames["needs"], 3, "schedule", "2026-02-30")
    _assert_one_problem(frames, "needs", 3, "schedule")


def test_unparsable_start_date(frames: Frames) -> None:
    _set(frames["needs"], 2, "start_date", "01-12-2026")
    _assert_one_problem(frames, "needs", 2, "start_date", "01-12-2026")


def test_unparsable_unavailable_date(frames: Frames) -> None:
    _set(frames["volunteers"], 3, "unavailable", "2026-12-24; kerst")
    _assert_one_problem(frames, "volunteers", 3, "unavailable")


def test_unparsable_history_date(frames: Frames) -> None:
    _set(frames["history"], 2, "date", "gisteren")
    _assert_one_problem(frames, "history", 2, "date", "gisteren")


def test_window_end_before_start(frames: Frames) -> None:
    _set(frames["needs"], 4, "window", "15:00-14:00")
    err = _assert_one_problem(frames, "needs", 4, "window", "15:00-14:00")
    assert "end" in err.problems["expected"].iloc[0]


def test_end_date_before_start_date(frames: Frames) -> None:
    _set(frames["needs"], 2, "start_date", "2026-12-10")
    _set(frames["needs"], 2, "end_date", "2026-12-01")
    _assert_one_problem(frames, "needs", 2, "end_date")


def test_ride_without_destination(frames: Frames) -> None:
    _set(frames["needs"], 3, "dest_lat", "")
    _set(frames["needs"], 3, "dest_lon", "")
    err = _assert_one_problem(frames, "needs", 3, "dest_lat")
    assert "destination" in err.problems["expected"].iloc[0]


@pytest.mark.parametrize(
    ("table", "row", "column", "value"),
    [
        ("volunteers", 2, "lat", "91"),
        ("volunteers", 3, "lon", "-180.5"),
        ("clients", 2, "lat", "-90.01"),
        ("clients", 3, "lon", "200"),
        ("needs", 3, "dest_lat", "95"),
    ],
)
def test_lat_lon_out_of_range(
    frames: Frames, table: str, row: int, column: str, value: str
) -> None:
    _set(frames[table], row, column, value)
    _assert_one_problem(frames, table, row, column)


def test_lat_not_a_number(frames: Frames) -> None:
    _set(frames["volunteers"], 2, "lat", "51,42")
    _assert_one_problem(frames, "volunteers", 2, "lat", "51,42")


@pytest.mark.parametrize(
    ("column", "value"),
    [("max_tasks_per_week", "-1"), ("max_hours_per_week", "-0.5"), ("max_km", "-3")],
)
def test_negative_caps(frames: Frames, column: str, value: str) -> None:
    _set(frames["volunteers"], 3, column, value)
    _assert_one_problem(frames, "volunteers", 3, column, value)


def test_zero_max_km(frames: Frames) -> None:
    _set(frames["volunteers"], 2, "max_km", "0")
    _assert_one_problem(frames, "volunteers", 2, "max_km")


def test_unknown_kind(frames: Frames) -> None:
    _set(frames["needs"], 2, "kind", "party")
    _assert_one_problem(frames, "needs", 2, "kind", "party")


def test_unknown_continuity(frames: Frames) -> None:
    _set(frames["needs"], 2, "continuity", "always")
    _assert_one_problem(frames, "needs", 2, "continuity", "always")


@pytest.mark.parametrize("value", ["4", "0", "high", "1.5"])
def test_unknown_priority(frames: Frames, value: str) -> None:
    _set(frames["needs"], 4, "priority", value)
    _assert_one_problem(frames, "needs", 4, "priority")


def test_non_positive_duration(frames: Frames) -> None:
    _set(frames["needs"], 2, "duration_min", "0")
    _assert_one_problem(frames, "needs", 2, "duration_min")


def test_zero_volunteers_needed(frames: Frames) -> None:
    _set(frames["needs"], 2, "volunteers_needed", "0")
    _assert_one_problem(frames, "needs", 2, "volunteers_needed")


def test_interval_rule_without_start_date(frames: Frames) -> None:
    _set(frames["needs"], 4, "schedule", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU")
    err = _assert_one_problem(frames, "needs", 4, "start_date")
    assert "start_date" in err.problems["expected"].iloc[0]
    _set(frames["needs"], 4, "start_date", "2026-11-17")
    assert len(make_registry(frames).need_records) == 3


def test_missing_required_value(frames: Frames) -> None:
    _set(frames["needs"], 3, "window", "")
    _assert_one_problem(frames, "needs", 3, "window")


def test_not_a_dataframe(frames: Frames) -> None:
    with pytest.raises(InvalidRegistryError) as info:
        Registry(frames["volunteers"], frames["clients"], [1, 2])  # type: ignore[arg-type]
    assert problem_cells(info.value) == {("needs", None, "")}


# -- lazy validation -------------------------------------------------------------------
def test_several_problems_in_one_error(frames: Frames) -> None:
    _set(frames["volunteers"], 2, "availability", "someday")
    _set(frames["volunteers"], 4, "max_km", "-1")
    _set(frames["clients"], 3, "excluded_volunteers", "V8")
    _set(frames["needs"], 2, "kind", "party")
    _set(frames["needs"], 3, "client_id", "C9")
    _set(frames["history"], 2, "date", "2026-11-31")
    err = _error(frames)
    assert problem_cells(err) == {
        ("volunteers", 2, "availability"),
        ("volunteers", 4, "max_km"),
        ("clients", 3, "excluded_volunteers"),
        ("needs", 2, "kind"),
        ("needs", 3, "client_id"),
        ("history", 2, "date"),
    }
    text = str(err)
    assert text.startswith("The registry has 6 problems")
    assert len(text.splitlines()) == 7
    # ordered by table, then row
    assert list(err.problems["table"]) == [
        "volunteers", "volunteers", "clients", "needs", "needs", "history",
    ]  # fmt: skip


def test_several_problems_in_one_row(frames: Frames) -> None:
    _set(frames["volunteers"], 3, "availability", "x")
    _set(frames["volunteers"], 3, "max_tasks_per_week", "-2")
    err = _error(frames)
    assert problem_cells(err) == {
        ("volunteers", 3, "availability"),
        ("volunteers", 3, "max_tasks_per_week"),
    }


# -- privacy ---------------------------------------------------------------------------
def test_names_and_addresses_never_in_the_error(frames: Frames) -> None:
    # volunteer V1 is "Zoë Çelik"; client C1 lives at "Kerkstraat 1, 't Hoeske"
    _set(frames["volunteers"], 2, "availability", "whenever")
    _set(frames["clients"], 2, "lat", "north")
    _set(frames["needs"], 2, "window", "tien uur")  # need N1 of client C1
    err = _error(frames)
    assert len(err.problems) == 3
    text = str(err) + err.problems.to_string()
    for personal in ("Zoë", "Çelik", "'t Hoeske", "Kerkstraat", "de Wit"):
        assert personal not in text


def test_personal_columns_are_hidden_in_problems(frames: Frames) -> None:
    class NotFound:
        def geocode(self, address: str) -> None:
            return None

    _set(frames["clients"], 2, "lat", "")
    _set(frames["clients"], 2, "lon", "")
    with pytest.raises(InvalidRegistryError) as info:
        make_registry(frames, geocoder=NotFound(), geocode_cache=None)
    err = info.value
    assert problem_cells(err) == {("clients", 2, "address")}
    assert "Kerkstraat" not in str(err)
    assert "Kerkstraat" not in err.problems.to_string()


# -- what is accepted ------------------------------------------------------------------
def test_valid_tiny_registry(registry: Registry) -> None:
    assert repr(registry) == "Registry(volunteers=3, clients=2, needs=3, history=1)"
    assert [v.volunteer_id for v in registry.volunteer_records] == ["V1", "V2", "V3"]
    assert [c.client_id for c in registry.client_records] == ["C1", "C2"]
    assert [n.need_id for n in registry.need_records] == ["N1", "N2", "N3"]
    assert registry.history_records[0].volunteer_id == "V2"


def test_dutch_day_names_accepted(frames: Frames) -> None:
    reg = make_registry(frames)
    v2 = reg.volunteer_records[1]
    assert v2.availability == (WeeklyWindow(0, 540, 780), WeeklyWindow(2, 540, 780))
    _set(frames["volunteers"], 3, "availability", "dinsdag 08:00-17:00; donderdag 08:00-17:00")
    assert make_registry(frames).volunteer_records[2] == reg.volunteer_records[2]


def test_empty_cells_mean_default(registry: Registry) -> None:
    v1, v2, _ = registry.volunteer_records
    assert (v1.max_tasks_per_week, v1.max_hours_per_week, v1.max_km) == (3, 6.0, 15.0)
    assert v2.languages == frozenset({"nl"})
    assert v2.max_tasks_per_week == 2
    n1, _, n3 = registry.need_records
    assert (n1.volunteers_needed, n1.continuity, n1.start_date, n1.max_team) == (
        1,
        "prefer",
        None,
        None,
    )
    assert n3.continuity == "none"


def test_missing_values_as_nan_mean_default(frames: Frames) -> None:
    frames["volunteers"]["max_km"] = [float("nan"), None, 12.0]
    frames["volunteers"]["languages"] = [None, float("nan"), "ar"]
    reg = make_registry(frames)
    assert [v.max_km for v in reg.volunteer_records] == [15.0, 15.0, 12.0]
    assert reg.volunteer_records[0].languages == frozenset({"nl"})


def test_optional_columns_may_be_absent(frames: Frames) -> None:
    frames["volunteers"] = frames["volunteers"][["volunteer_id", "lat", "lon", "availability"]]
    frames["needs"] = frames["needs"].drop(columns=["priority", "max_team", "continuity"])
    reg = make_registry(frames)
    assert reg.volunteer_records[0].skills == frozenset()
    assert reg.need_records[0].priority == 2


def test_history_is_optional(frames: Frames) -> None:
    del frames["history"]
    reg = make_registry(frames)
    assert reg.history_records == ()
    assert list(reg.history.columns) == ["need_id", "client_id", "volunteer_id", "date"]


def test_unknown_extra_columns_kept(frames: Frames) -> None:
    frames["volunteers"]["notes"] = ["likes cats", "", "has a van"]
    frames["needs"]["Remarks "] = ["", "wheelchair in the car", ""]
    reg = make_registry(frames)
    assert list(reg.volunteers["notes"]) == ["likes cats", "", "has a van"]
    assert "remarks" in reg.needs.columns


def test_column_names_are_normalised(frames: Frames) -> None:
    frames["volunteers"] = frames["volunteers"].rename(
        columns={"volunteer_id": " Volunteer_ID", "availability": "AVAILABILITY "}
    )
    reg = make_registry(frames)
    assert reg.volunteer_records[0].volunteer_id == "V1"


def test_column_order_irrelevant(frames: Frames, registry: Registry) -> None:
    for name in ("volunteers", "clients", "needs", "history"):
        frames[name] = frames[name][list(reversed(frames[name].columns))]
    reg = make_registry(frames)
    assert reg.volunteer_records == registry.volunteer_records
    assert reg.client_records == registry.client_records
    assert reg.need_records == registry.need_records
    assert reg.history_records == registry.history_records


def test_whitespace_around_values(frames: Frames, registry: Registry) -> None:
    frames["volunteers"]["volunteer_id"] = [" V1", "V2 ", " V3 "]
    frames["needs"]["kind"] = [" visit", "RIDE", "Chore "]
    reg = make_registry(frames)
    assert reg.volunteer_records == registry.volunteer_records
    assert reg.need_records == registry.need_records


def test_numbers_as_numbers_accepted(frames: Frames, registry: Registry) -> None:
    frames["volunteers"]["max_tasks_per_week"] = [3, 2, 3]
    frames["needs"]["priority"] = [2, 1, 3]
    frames["needs"]["duration_min"] = [60.0, 90.0, 45.0]
    reg = make_registry(frames)
    assert reg.volunteer_records == registry.volunteer_records
    assert reg.need_records == registry.need_records


def test_float_columns_round_trip(frames: Frames, tmp_path: Path) -> None:
    # numbers in a column with empty cells are floats in pandas and "2.0" in a CSV
    frames["volunteers"]["max_tasks_per_week"] = [3.0, None, 2.0]
    frames["needs"]["priority"] = [1.0, None, 3.0]
    frames["needs"]["duration_min"] = [60.0, None, 45.0]
    frames["needs"]["max_team"] = [2.0, None, None]
    reg = make_registry(frames)
    back = Registry.from_folder(reg.to_folder(tmp_path / "reg"))
    assert [n.priority for n in back.need_records] == [1, 2, 3]
    assert [n.duration_min for n in back.need_records] == [60, 60, 45]
    assert back.need_records == reg.need_records
    assert back.volunteer_records == reg.volunteer_records


# -- files -----------------------------------------------------------------------------
def test_utf8_round_trip_folder(registry: Registry, tmp_path: Path) -> None:
    registry.to_folder(tmp_path / "reg")
    text = (tmp_path / "reg" / "volunteers.csv").read_text(encoding="utf-8")
    assert "Zoë Çelik" in text
    back = Registry.from_folder(tmp_path / "reg")
    assert list(back.volunteers["name"]) == ["Zoë Çelik", "Jan 't Hoeske", "Fatima El Amrani"]
    assert list(back.clients["address"]) == ["Kerkstraat 1, 't Hoeske", "Markt 2"]
    assert back.volunteer_records == registry.volunteer_records
    assert back.client_records == registry.client_records
    assert back.need_records == registry.need_records
    assert back.history_records == registry.history_records


def test_utf8_round_trip_excel(registry: Registry, tmp_path: Path) -> None:
    path = registry.to_excel(tmp_path / "reg.xlsx")
    back = Registry.from_excel(path)
    assert list(back.volunteers["name"]) == ["Zoë Çelik", "Jan 't Hoeske", "Fatima El Amrani"]
    assert back.clients["name"].iloc[1] == "Meneer Çelik"
    assert back.volunteer_records == registry.volunteer_records
    assert back.client_records == registry.client_records
    assert back.need_records == registry.need_records
    assert back.history_records == registry.history_records


def test_from_folder_missing_file(registry: Registry, tmp_path: Path) -> None:
    registry.to_folder(tmp_path)
    (tmp_path / "needs.csv").unlink()
    (tmp_path / "history.csv").unlink()  # optional: not a problem
    with pytest.raises(InvalidRegistryError) as info:
        Registry.from_folder(tmp_path)
    assert isinstance(info.value, ValueError)
    assert problem_cells(info.value) == {("needs", None, "")}
    assert "needs.csv" in str(info.value)


def test_from_folder_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(InvalidRegistryError) as info:
        Registry.from_folder(tmp_path / "nowhere")
    assert problem_cells(info.value) == {("registry", None, "")}


def test_from_folder_empty_file(registry: Registry, tmp_path: Path) -> None:
    registry.to_folder(tmp_path)
    (tmp_path / "clients.csv").write_text("", encoding="utf-8")
    with pytest.raises(InvalidRegistryError) as info:
        Registry.from_folder(tmp_path)
    assert problem_cells(info.value) == {("clients", None, "")}


def test_from_folder_not_utf8(registry: Registry, tmp_path: Path) -> None:
    registry.to_folder(tmp_path)
    text = (tmp_path / "volunteers.csv").read_text(encoding="utf-8")
    (tmp_path / "volunteers.csv").write_bytes(text.encode("cp1252"))
    with pytest.raises(InvalidRegistryError) as info:
        Registry.from_folder(tmp_path)
    assert problem_cells(info.value) == {("volunteers", None, "")}


def test_from_excel_missing_sheet(tmp_path: Path) -> None:
    f = tiny_frames()
    path = tmp_path / "reg.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        f["volunteers"].to_excel(writer, sheet_name="volunteers", index=False)
        f["needs"].to_excel(writer, sheet_name="Needs", index=False)
    with pytest.raises(InvalidRegistryError) as info:
        Registry.from_excel(path)
    assert isinstance(info.value, MatchkrachtError)
    assert problem_cells(info.value) == {("clients", None, "")}
    assert "'clients'" in str(info.value)


def test_from_excel_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidRegistryError) as info:
        Registry.from_excel(tmp_path / "nothing.xlsx")
    assert problem_cells(info.value) == {("registry", None, "")}


def test_csv_with_bom(registry: Registry, tmp_path: Path) -> None:
    for name, frame in tiny_frames().items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False, encoding="utf-8-sig")
    assert (tmp_path / "volunteers.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    back = Registry.from_folder(tmp_path)
    assert "volunteer_id" in back.volunteers.columns
    assert back.volunteer_records == registry.volunteer_records


def test_hand_made_csv_registry() -> None:
    reg = Registry.from_folder(DATA / "tiny")
    assert len(reg.volunteer_records) == 3
    assert reg.volunteer_records[0].name == "Zoë Çelik"
    assert reg.need_records[1].kind == "ride"


def test_hand_made_broken_registry() -> None:
    with pytest.raises(InvalidRegistryError) as info:
        Registry.from_folder(DATA / "broken")
    assert len(info.value.problems) >= 3
    for name in ("Zoë", "Çelik", "Hoeske"):
        assert name not in str(info.value)


def test_ids_typed_as_numbers_in_excel(tmp_path: Path) -> None:
    f = tiny_frames()
    f["volunteers"]["volunteer_id"] = [1, 2, 3]
    f["clients"]["client_id"] = [10, 20]
    f["clients"]["preferred_volunteers"] = [1, None]
    f["clients"]["excluded_volunteers"] = ["", "2;3"]
    f["needs"]["need_id"] = [100, 200, 300]
    f["needs"]["client_id"] = [10, 20, 10]
    f["history"] = pd.DataFrame(
        {"need_id": [100], "client_id": [10], "volunteer_id": [2], "date": ["2026-11-23"]}
    )
    path = tmp_path / "numbers.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in f.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    reg = Registry.from_excel(path)
    assert [v.volunteer_id for v in reg.volunteer_records] == ["1", "2", "3"]
    assert [n.need_id for n in reg.need_records] == ["100", "200", "300"]
    assert [n.client_id for n in reg.need_records] == ["10", "20", "10"]
    assert reg.client_records[0].preferred_volunteers == ("1",)
    assert reg.client_records[1].excluded_volunteers == ("2", "3")
    assert reg.history_records[0].volunteer_id == "2"
    # and the problem builder finds them
    problem = mk.build_problem(reg, WEEK)
    assert problem.volunteer_ids == ("1", "2", "3")


def test_ids_as_floats_with_missing_cells(frames: Frames) -> None:
    frames["volunteers"]["volunteer_id"] = [1.0, 2.0, 3.0]
    frames["clients"]["preferred_volunteers"] = ["1", ""]
    frames["clients"]["excluded_volunteers"] = ["", "2"]
    frames["history"]["volunteer_id"] = [2.0]
    reg = make_registry(frames)
    assert [v.volunteer_id for v in reg.volunteer_records] == ["1", "2", "3"]


def test_excel_dates_and_times_become_text(frames: Frames, tmp_path: Path) -> None:
    # Excel turns "2026-12-03" into a date cell
    frames["needs"]["schedule"] = [
        "FREQ=WEEKLY;BYDAY=MO,WE",
        pd.Timestamp("2026-12-03"),
        "FREQ=WEEKLY;BYDAY=TU",
    ]
    frames["needs"]["start_date"] = [pd.Timestamp("2026-11-01"), None, None]
    frames["volunteers"]["unavailable"] = [None, pd.Timestamp("2026-12-24"), None]
    path = tmp_path / "dates.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in frames.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    reg = Registry.from_excel(path)
    assert reg.need_records[1].occurrences(*mk.Horizon.from_week(WEEK).days[::6]) == [
        pd.Timestamp("2026-12-03").date()
    ]
    assert str(reg.need_records[0].start_date) == "2026-11-01"
    assert reg.volunteer_records[1].is_unavailable(pd.Timestamp("2026-12-24").date())


# -- geocoding -------------------------------------------------------------------------
class FakeLocation:
    def __init__(self, latitude: float, longitude: float) -> None:
        self.latitude = latitude
        self.longitude = longitude


class FakeGeocoder:
    """Answers from a dict and counts calls, like a geopy geocoder would be called."""

    def __init__(self, places: dict[str, tuple[float, float]]) -> None:
        self.places = places
        self.calls: list[str] = []

    def geocode(self, address: str) -> FakeLocation | None:
        self.calls.append(address)
        hit = self.places.get(address)
        return None if hit is None else FakeLocation(*hit)


class ExplodingGeocoder:
    def geocode(self, address: str) -> None:
        raise AssertionError("the geocoder must not be called")


def _address_only(frames: Frames) -> Frames:
    """Volunteer V1 and client C2 given by address only (same address twice for V1/V3)."""
    frames["volunteers"]["address"] = ["Kerkstraat 1, 't Hoeske", "", "Kerkstraat 1, 't Hoeske"]
    for row in (2, 4):
        _set(frames["volunteers"], row, "lat", "")
        _set(frames["volunteers"], row, "lon", "")
    _set(frames["clients"], 3, "lat", "")
    _set(frames["clients"], 3, "lon", "")
    return frames


PLACES = {"Kerkstraat 1, 't Hoeske": (51.4215, 6.1310), "Markt 2": (51.4235, 6.1295)}


def test_address_without_geocoder_is_an_error(frames: Frames) -> None:
    err = _error(_address_only(frames))
    assert problem_cells(err) == {
        ("volunteers", 2, "lat"),
        ("volunteers", 4, "lat"),
        ("clients", 3, "lat"),
    }
    assert "Kerkstraat" not in str(err)


def test_no_coordinates_and_no_address(frames: Frames) -> None:
    _set(frames["volunteers"], 3, "lat", "")
    _set(frames["volunteers"], 3, "lon", "")
    geo = FakeGeocoder(PLACES)
    with pytest.raises(InvalidRegistryError) as info:
        make_registry(frames, geocoder=geo)
    assert problem_cells(info.value) == {("volunteers", 3, "lat")}
    assert geo.calls == []


def test_half_coordinates_is_an_error(frames: Frames, tmp_path: Path) -> None:
    _set(frames["volunteers"], 3, "lon", "")
    geo = FakeGeocoder(PLACES)
    with pytest.raises(InvalidRegistryError) as info:
        make_registry(frames, geocoder=geo, geocode_cache=tmp_path / "geo.json")
    assert problem_cells(info.value) == {("volunteers", 3, "lon")}
    assert geo.calls == []


def test_geocoder_called_once_per_address_and_cached(frames: Frames, tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "geocode.json"
    geo = FakeGeocoder(PLACES)
    reg = make_registry(_address_only(frames), geocoder=geo, geocode_cache=cache)
    assert sorted(geo.calls) == sorted(PLACES)
    v1, v2, v3 = reg.volunteer_records
    assert (v1.lat, v1.lon) == PLACES["Kerkstraat 1, 't Hoeske"]
    assert (v3.lat, v3.lon) == PLACES["Kerkstraat 1, 't Hoeske"]
    assert (v2.lat, v2.lon) == (51.4250, 6.1350)  # given coordinates are not geocoded
    c2 = reg.client_records[1]
    assert (c2.lat, c2.lon) == PLACES["Markt 2"]
    assert cache.exists()
    stored = json.loads(cache.read_text(encoding="utf-8"))
    assert len(stored) == 2
    # a second registry with the same cache does not call the geocoder
    again = make_registry(
        _address_only(tiny_frames()), geocoder=ExplodingGeocoder(), geocode_cache=cache
    )
    assert again.volunteer_records == reg.volunteer_records
    assert again.client_records == reg.client_records


def test_geocoder_not_called_when_coordinates_given(registry: Registry, tmp_path: Path) -> None:
    reg = make_registry(geocoder=ExplodingGeocoder(), geocode_cache=tmp_path / "g.json")
    assert reg.volunteer_records == registry.volunteer_records
    assert not (tmp_path / "g.json").exists()


def test_address_not_found_is_cached_too(frames: Frames, tmp_path: Path) -> None:
    cache = tmp_path / "g.json"
    geo = FakeGeocoder({"Markt 2": (51.4235, 6.1295)})  # cannot find the Kerkstraat
    with pytest.raises(InvalidRegistryError) as info:
        make_registry(_address_only(frames), geocoder=geo, geocode_cache=cache)
    assert problem_cells(info.value) == {("volunteers", 2, "address"), ("volunteers", 4, "address")}
    assert "Kerkstraat" not in str(info.value)
    assert len(geo.calls) == 2
    with pytest.raises(InvalidRegistryError):
        make_registry(
            _address_only(tiny_frames()), geocoder=ExplodingGeocoder(), geocode_cache=cache
        )


# -- history ---------------------------------------------------------------------------
def test_record_appends_history(registry: Registry) -> None:
    plan = mk.match(registry, week=WEEK, time_limit=5, seed=0)
    assert len(plan.assignments) > 0
    new = registry.record(plan.assignments)
    assert len(new.history_records) == len(registry.history_records) + len(plan.assignments)
    added = new.history_records[len(registry.history_records) :]
    for h, rec in zip(added, plan.assignments.itertuples(index=False), strict=True):
        assert (h.need_id, h.client_id, h.volunteer_id) == (
            rec.need_id,
            rec.client_id,
            rec.volunteer_id,
        )
        assert h.date == rec.start.date()
    # the original registry is unchanged
    assert len(registry.history_records) == 1
    assert new.volunteer_records == registry.volunteer_records


def test_record_from_plan_read_back(registry: Registry, tmp_path: Path) -> None:
    plan = mk.match(registry, week=WEEK, time_limit=5, seed=0)
    back = mk.Plan.read_csv(plan.to_csv(tmp_path / "plan"))
    new = registry.record(back.assignments)
    assert len(new.history_records) == 1 + len(plan.assignments)


def test_record_keeps_geocoding(frames: Frames, tmp_path: Path) -> None:
    cache = tmp_path / "g.json"
    geo = FakeGeocoder(PLACES)
    reg = make_registry(_address_only(frames), geocoder=geo, geocode_cache=cache)
    assignments = pd.DataFrame(
        {
            "need_id": ["N1"],
            "client_id": ["C1"],
            "volunteer_id": ["V1"],
            "start": [pd.Timestamp("2026-11-30T10:00:00")],
        }
    )
    new = reg.record(assignments)
    assert len(new.history_records) == 2
    assert new.volunteer_records == reg.volunteer_records
    assert len(geo.calls) == 2  # the cache answered


def test_corrupt_geocode_cache_is_ignored(frames: Frames, tmp_path: Path) -> None:
    cache = tmp_path / "g.json"
    cache.write_text("{not json", encoding="utf-8")
    geo = FakeGeocoder(PLACES)
    reg = make_registry(_address_only(frames), geocoder=geo, geocode_cache=cache)
    assert (reg.volunteer_records[0].lat, reg.volunteer_records[0].lon) == PLACES[
        "Kerkstraat 1, 't Hoeske"
    ]
    assert len(geo.calls) == 2
    assert len(json.loads(cache.read_text(encoding="utf-8"))) == 2


def test_missing_id_column_does_not_cascade(frames: Frames) -> None:
    frames["clients"] = frames["clients"].drop(columns="client_id")
    _assert_one_problem(frames, "clients", None, "client_id")


def test_blank_rows_are_skipped(registry: Registry, tmp_path: Path) -> None:
    registry.to_folder(tmp_path)
    text = (tmp_path / "volunteers.csv").read_text(encoding="utf-8").splitlines()
    commas = "," * (text[0].count(","))
    # a blank line in the middle, empty rows at the end, and a bad row after a blank one
    lines = [*text[:2], commas, *text[2:], commas, commas]
    (tmp_path / "volunteers.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    back = Registry.from_folder(tmp_path)
    assert back.volunteer_records == registry.volunteer_records
    lines[3] = lines[3].replace("ma 09:00-13:00", "ma 9-13")  # V2, spreadsheet row 4
    (tmp_path / "volunteers.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InvalidRegistryError) as info:
        Registry.from_folder(tmp_path)
    assert problem_cells(info.value) == {("volunteers", 4, "availability")}


def test_duplicate_column(frames: Frames) -> None:
    frames["volunteers"]["Skills "] = ["", "", ""]  # "skills" twice after normalising
    _assert_one_problem(frames, "volunteers", None, "skills")


def test_empty_lines_keep_row_numbers(registry: Registry, tmp_path: Path) -> None:
    registry.to_folder(tmp_path)
    lines = (tmp_path / "volunteers.csv").read_text(encoding="utf-8").splitlines()
    lines.insert(2, "")  # an empty line after V1: V2 is on line 4 of the file
    lines[3] = lines[3].replace("ma 09:00-13:00", "ma 9-13")
    (tmp_path / "volunteers.csv").write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    with pytest.raises(InvalidRegistryError) as info:
        Registry.from_folder(tmp_path)
    assert problem_cells(info.value) == {("volunteers", 4, "availability")}


# -- UNTIL as calendar programs write it -------------------------------------------------
def test_need_with_utc_until_is_accepted(frames: Frames) -> None:
    _set(frames["needs"], 2, "schedule", "FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20261201T000000Z")
    reg = make_registry(frames)
    days = mk.Horizon.from_week(WEEK).days
    # Monday 30 November is before UNTIL, Wednesday 2 December after it
    assert reg.need_records[0].occurrences(days[0], days[-1]) == [days[0]]
    problem = mk.build_problem(reg, WEEK)
    assert problem.task_ids.count(f"N1@{days[0].isoformat()}") == 1
    assert f"N1@{days[2].isoformat()}" not in problem.task_ids


def test_need_with_invalid_until_is_one_problem(frames: Frames) -> None:
    _set(frames["needs"], 2, "schedule", "FREQ=WEEKLY;BYDAY=MO;UNTIL=20261301T000000Z")
    err = _assert_one_problem(frames, "needs", 2, "schedule")
    assert "UNTIL" in err.problems["expected"].iloc[0]


# -- semicolon-separated CSV files (Dutch Excel) -------------------------------------------
def _write_dutch_excel_csv(frames: Frames, folder: Path) -> Path:
    """Write ``frames`` as Dutch Excel does: ``;``-separated, decimal commas, with a BOM."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        out = frame.copy()
        for column in ("max_hours_per_week", "max_km", "dest_lat", "dest_lon"):
            if column in out.columns:
                out[column] = out[column].astype(str).str.replace(".", ",", regex=False)
        out.to_csv(folder / f"{name}.csv", sep=";", decimal=",", index=False, encoding="utf-8-sig")
    return folder


def test_semicolon_csv_registry_loads_matches_and_checks(
    registry: Registry, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = _write_dutch_excel_csv(tiny_frames(), tmp_path / "nl")
    raw = (folder / "volunteers.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    header = text.splitlines()[0]
    assert ";" in header and "," not in header
    assert '"driver;handy"' in text  # tags quoted as Excel does
    assert "51,422" in text and "4,5" in text  # decimal commas
    assert "6,17" in (folder / "needs.csv").read_text(encoding="utf-8-sig")
    with caplog.at_level(logging.INFO, logger="matchkracht"):
        back = Registry.from_folder(folder)
    assert back.volunteer_records == registry.volunteer_records
    assert back.client_records == registry.client_records
    assert back.need_records == registry.need_records
    assert back.history_records == registry.history_records
    assert list(back.volunteers["name"]) == ["Zoë Çelik", "Jan 't Hoeske", "Fatima El Amrani"]
    assert back.volunteer_records[0].skills == frozenset({"driver", "handy"})
    assert back.volunteer_records[2].max_hours_per_week == 4.5
    messages = [r.getMessage() for r in caplog.records if r.name == "matchkracht"]
    semicolon = [m for m in messages if "semicolon" in m]
    assert {m.split()[0] for m in semicolon} == {f"{n}.csv" for n in TABLES}
    log = "\n".join(messages)
    for personal in (*NAMES, "Kerkstraat", "Markt 2"):
        assert personal not in log
    plan = mk.match(back, week=WEEK, time_limit=2, seed=0)
    assert mk.check(back, plan).empty
    assert len(plan.assignments) > 0


def test_semicolon_csv_by_hand(tmp_path: Path) -> None:
    # a registry typed into Dutch Excel and saved as "CSV (puntkomma-gescheiden)"
    files = {
        "volunteers": (
            "volunteer_id;naam_onbekend;name;lat;lon;skills;availability;max_km\n"
            'V1;x;Zoë Çelik;51,422;6,13;"driver;dementia";ma 09:00-17:00;12,5\n'
            "V2;y;Jan 't Hoeske;51,425;6,135;;di 09:00-17:00;\n"
        ),
        "clients": "client_id;name;lat;lon\nC1;Mevrouw Zoë de Wit;51,421;6,132\n",
        "needs": (
            "need_id;client_id;kind;schedule;window;skills;dest_lat;dest_lon\n"
            "N1;C1;visit;FREQ=WEEKLY;BYDAY=MO,TU;10:00-10:30;dementia;;\n"
        ),
    }
    for name, text in files.items():
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8-sig")
    with pytest.raises(InvalidRegistryError) as info:
        Registry.from_folder(tmp_path)
    # the unquoted RRULE is split by the separator: one clear problem, no shifted cells
    assert problem_cells(info.value) == {("needs", 2, "")}
    assert "double quotes" in info.value.problems["expected"].iloc[0]
    needs = files["needs"].replace("FREQ=WEEKLY;BYDAY=MO,TU", '"FREQ=WEEKLY;BYDAY=MO,TU"')
    (tmp_path / "needs.csv").write_text(needs, encoding="utf-8-sig")
    reg = Registry.from_folder(tmp_path)
    v1, v2 = reg.volunteer_records
    assert (v1.lat, v1.lon, v1.max_km) == (51.422, 6.13, 12.5)
    assert v1.skills == frozenset({"driver", "dementia"})
    assert v1.name == "Zoë Çelik" and v2.name == "Jan 't Hoeske"
    assert v2.max_km == 15.0
    assert reg.need_records[0].required_skills == frozenset({"dementia"})
    plan = mk.match(reg, week=WEEK, time_limit=2, seed=0)
    assert mk.check(reg, plan).empty
    # only V1 has the skill and only V1 is free on Monday and Tuesday
    assert set(plan.assignments["volunteer_id"]) <= {"V1"}


def test_semicolon_csv_bad_number_is_one_problem(registry: Registry, tmp_path: Path) -> None:
    folder = _write_dutch_excel_csv(tiny_frames(), tmp_path)
    text = (folder / "volunteers.csv").read_text(encoding="utf-8-sig")
    (folder / "volunteers.csv").write_text(text.replace("51,425", "51,4,25"), encoding="utf-8-sig")
    with pytest.raises(InvalidRegistryError) as info:
        Registry.from_folder(folder)
    assert problem_cells(info.value) == {("volunteers", 3, "lat")}
    assert info.value.problems["value"].iloc[0] == "51,4,25"


def test_decimal_comma_only_in_numeric_columns_of_semicolon_files(
    registry: Registry, tmp_path: Path
) -> None:
    # a comma-separated file is read as before: no semicolon log, no decimal commas
    registry.to_folder(tmp_path / "comma")
    assert Registry.from_folder(tmp_path / "comma").volunteer_records == registry.volunteer_records
    # in a semicolon file, text columns keep their commas
    frames = tiny_frames()
    frames["clients"]["preferred_volunteers"] = ["V1,5", ""]
    folder = _write_dutch_excel_csv(frames, tmp_path / "nl")
    with pytest.raises(InvalidRegistryError) as info:
        Registry.from_folder(folder)
    assert problem_cells(info.value) == {("clients", 2, "preferred_volunteers")}
    assert info.value.problems["value"].iloc[0] == "V1,5"


def test_one_semicolon_file_among_comma_files(registry: Registry, tmp_path: Path) -> None:
    registry.to_folder(tmp_path)
    _write_dutch_excel_csv({"needs": tiny_frames()["needs"]}, tmp_path)
    back = Registry.from_folder(tmp_path)
    assert back.need_records == registry.need_records
    assert back.volunteer_records == registry.volunteer_records


# -- names and addresses typed as numbers --------------------------------------------------
def test_names_and_addresses_typed_as_numbers(frames: Frames, tmp_path: Path) -> None:
    frames["volunteers"]["name"] = [12, 3.5, "Fatima El Amrani"]
    frames["clients"]["name"] = [2026.0, None]
    frames["clients"]["address"] = [7, "Markt 2"]
    reg = make_registry(frames)
    assert [v.name for v in reg.volunteer_records] == ["12", "3.5", "Fatima El Amrani"]
    assert [c.name for c in reg.client_records] == ["2026", ""]
    assert reg.client_records[0].address == "7"
    path = tmp_path / "numbers.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in frames.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    back = Registry.from_excel(path)
    assert [v.name for v in back.volunteer_records] == ["12", "3.5", "Fatima El Amrani"]
    assert back.client_records[0].address == "7"


# -- shifted columns must not leak personal data -------------------------------------------
def test_name_under_availability_is_hidden(frames: Frames) -> None:
    # columns shifted by one: V2's name sits under availability
    _set(frames["volunteers"], 3, "availability", "Jan 't Hoeske")
    err = _assert_one_problem(frames, "volunteers", 3, "availability")
    assert err.problems["value"].iloc[0] == "(hidden: personal data)"
    assert "Hoeske" not in str(err) and "Hoeske" not in err.problems.to_string()


def test_part_of_the_rows_address_is_hidden(frames: Frames) -> None:
    # an address with a comma, split over two cells: its second half under lat
    _set(frames["clients"], 2, "lat", "'t Hoeske")
    err = _assert_one_problem(frames, "clients", 2, "lat", "(hidden: personal data)")
    assert "Hoeske" not in str(err)


def test_someone_elses_name_is_hidden_in_any_table(frames: Frames) -> None:
    _set(frames["needs"], 2, "window", "zoë  çelik")  # volunteer V1's name, other case
    _set(frames["clients"], 3, "preferred_volunteers", "Markt 2")  # its own address
    _set(frames["needs"], 4, "kind", "party")  # not personal: shown
    err = _error(frames)
    assert problem_cells(err) == {
        ("needs", 2, "window"),
        ("clients", 3, "preferred_volunteers"),
        ("needs", 4, "kind"),
    }
    values = dict(zip(err.problems["column"], err.problems["value"], strict=True))
    assert values["window"] == "(hidden: personal data)"
    assert values["preferred_volunteers"] == "(hidden: personal data)"
    assert values["kind"] == "party"
    text = str(err) + err.problems.to_string()
    for personal in ("Zoë", "zoë", "Çelik", "çelik", "Markt"):
        assert personal not in text


def test_rows_longer_than_the_header_are_reported(registry: Registry, tmp_path: Path) -> None:
    # addresses with a comma typed without quotes: every row one cell too long; pandas
    # alone would silently take client_id as the index and shift every cell by one
    registry.to_folder(tmp_path)
    text = (tmp_path / "clients.csv").read_text(encoding="utf-8")
    text = text.replace('"Kerkstraat 1, \'t Hoeske"', "Kerkstraat 1, 't Hoeske")
    text = text.replace("Markt 2", "Markt, 2")
    (tmp_path / "clients.csv").write_text(text, encoding="utf-8")
    with pytest.raises(InvalidRegistryError) as info:
        Registry.from_folder(tmp_path)
    err = info.value
    assert problem_cells(err) == {("clients", 2, ""), ("clients", 3, "")}
    width = len(registry.clients.columns)
    assert list(err.problems["value"]) == [f"{width + 1} cells"] * 2
    for personal in ("Kerkstraat", "Hoeske", "Markt", *NAMES):
        assert personal not in str(err)


def test_trailing_empty_rows_longer_than_the_header_are_fine(
    registry: Registry, tmp_path: Path
) -> None:
    registry.to_folder(tmp_path)
    lines = (tmp_path / "volunteers.csv").read_text(encoding="utf-8").splitlines()
    lines.append("," * (lines[0].count(",") + 3))  # an empty row with extra separators
    (tmp_path / "volunteers.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert Registry.from_folder(tmp_path).volunteer_records == registry.volunteer_records
