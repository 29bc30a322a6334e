import json
import os
import stat

import nextbatch
import pytest
from hypothesis import given, settings
from nextbatch.core import SaveConflictError, Study, StudyError
from nextbatch.io import study_file
from nextbatch.io.study_file import (
    FileStamp,
    load_study,
    save_study,
    study_from_json,
    study_to_json,
)
from nextbatch.resources import example_path
from strategies import studies


@pytest.fixture
def saved(tmp_path, design_study):
    """The DESIGN example saved as study.nbx, and the study as loaded back."""
    path = tmp_path / "study.nbx"
    save_study(design_study, path)
    return path, load_study(path)


# --------------------------------------------------------------------------- round trip
@settings(max_examples=60, deadline=None)
@given(study=studies())
def test_save_then_load_is_the_identity(tmp_path_factory, study):
    path = tmp_path_factory.mktemp("roundtrip") / "s.nbx"
    save_study(study, path)
    loaded = load_study(path)
    assert loaded == study
    assert loaded.to_dict() == study.to_dict()
    assert json.loads(path.read_text(encoding="utf-8")) == study.to_dict()


@settings(max_examples=60, deadline=None)
@given(study=studies())
def test_json_text_round_trips(study):
    assert study_from_json(study_to_json(study)) == study


@pytest.mark.parametrize("name", ["shaving-cream", "brewing"])
def test_examples_are_stored_exactly_as_save_writes_them(name):
    text = example_path(name).read_text(encoding="utf-8")
    assert study_to_json(load_study(example_path(name))) == text
    assert text.endswith("}\n")
    assert '\n  "variables": [\n    {\n      "name": ' in text  # indent 2, to_dict key order


def test_text_is_utf8_not_escaped(tmp_path, design_study):
    path = tmp_path / "s.nbx"
    save_study(design_study, path)
    raw = path.read_bytes()
    assert "°C".encode() in raw
    assert b"\\u00b0" not in raw


def test_top_level_package_offers_load_and_save():
    assert nextbatch.load_study is load_study
    assert nextbatch.save_study is save_study
    assert nextbatch.Study is Study


# ------------------------------------------------------------------------------- saving
def test_load_and_save_leave_a_stamp_of_the_file(saved):
    path, study = saved
    assert isinstance(study.origin, FileStamp)
    assert study.origin.path == str(path.resolve())
    assert study.origin.size == path.stat().st_size
    study.name = "renamed"
    save_study(study, path)
    assert study.origin.size == path.stat().st_size
    assert study.origin.mtime_ns == path.stat().st_mtime_ns


def test_previous_version_is_kept_as_bak(saved):
    path, study = saved
    first = path.read_bytes()
    study.name = "second version"
    save_study(study, path)
    assert (path.parent / "study.nbx.bak").read_bytes() == first
    assert load_study(path).name == "second version"
    assert sorted(p.name for p in path.parent.iterdir()) == ["study.nbx", "study.nbx.bak"]


def test_external_change_is_never_overwritten_silently(saved):
    path, study = saved
    other = load_study(path)
    other.name = "changed by a colleague"
    save_study(other, path)
    study.name = "my change"
    with pytest.raises(SaveConflictError, match=r"changed by another program") as info:
        save_study(study, path)
    assert info.value.path == str(path.resolve())
    assert load_study(path).name == "changed by a colleague"
    save_study(study, path, force=True)
    assert load_study(path).name == "my change"


def test_touching_the_file_without_changing_it_is_no_conflict(saved):
    path, study = saved
    os.utime(path, ns=(1, 1))
    study.name = "edited"
    save_study(study, path)
    assert load_study(path).name == "edited"


def test_saving_after_the_file_was_deleted_writes_it_again(saved):
    path, study = saved
    path.unlink()
    save_study(study, path)
    assert load_study(path) == study


def test_a_study_that_cannot_be_written_leaves_the_file_untouched(saved):
    path, study = saved
    before = path.read_bytes()
    study.runs[0].results["ph"] = float("nan")
    with pytest.raises(StudyError, match=r"runs\[0\]\.results\.ph = nan"):
        save_study(study, path)
    study.runs[0].results["ph"] = 9.0
    study.name = "broken \ud800 text"
    with pytest.raises(StudyError, match=r"not a valid character"):
        save_study(study, path)
    assert path.read_bytes() == before
    assert not (path.parent / "study.nbx.bak").exists()


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
def test_file_permissions_survive_a_save(saved):
    path, study = saved
    path.chmod(0o640)
    save_study(study, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


# ------------------------------------------------------------------------------ loading
def _write(tmp_path, content, name="bad.nbx"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def test_invalid_json_is_reported_with_line_and_column(tmp_path):
    path = _write(tmp_path, '{\n  "name": "x",\n  "runs": []\n  "variables": []\n}\n')
    with pytest.raises(StudyError) as info:
        load_study(path)
    assert str(info.value) == ("bad.nbx: not valid JSON — line 4, column 3: expecting ',' "
                               "delimiter")


def test_nan_in_the_file_is_reported_where_it_is(tmp_path):
    path = _write(tmp_path, '{"name": "x",\n "settings": {"batch_size": NaN}}')
    with pytest.raises(StudyError, match=r"bad\.nbx: line 2, column 29: NaN is not allowed"):
        load_study(path)


def test_bad_utf8_is_reported_with_its_line(tmp_path):
    path = _write(tmp_path, b'{\n"name": "Cr\xe8me"}')
    with pytest.raises(StudyError, match=r"bad\.nbx: not UTF-8 text — byte 0xe8 at line 2"):
        load_study(path)


def test_a_byte_order_mark_is_accepted(tmp_path, design_study):
    path = _write(tmp_path, b"\xef\xbb\xbf" + study_to_json(design_study).encode())
    assert load_study(path) == design_study


@pytest.mark.parametrize(("text", "found"), [("[1, 2]", "a list"), ('"study"', "text"),
                                             ("null", "null"), ("42", "the value 42")])
def test_not_an_object_is_refused(tmp_path, text, found):
    with pytest.raises(StudyError, match=rf"bad\.nbx: expected a JSON object .* found {found}"):
        load_study(_write(tmp_path, text))


def test_wrong_field_types_are_listed_with_the_file_name(tmp_path, design_dict):
    design_dict["variables"][0]["low"] = "sixty"
    with pytest.raises(StudyError, match=r"(?s)bad.nbx: .*variables\[0\]\.low = 'sixty'") as info:
        load_study(_write(tmp_path, json.dumps(design_dict)))
    assert [p.path for p in info.value.problems] == ["variables[0].low"]


def test_newer_version_is_refused_by_name(tmp_path, design_dict):
    design_dict["version"] = 2
    with pytest.raises(StudyError, match=r"bad\.nbx: .*newer NextBatch .*version 2"):
        load_study(_write(tmp_path, json.dumps(design_dict)))


def test_other_formats_are_refused(tmp_path):
    with pytest.raises(StudyError, match=r"bad\.nbx: this is not a NextBatch study"):
        load_study(_write(tmp_path, '{"format": "jmp-doe"}'))


def test_files_over_50_mb_are_refused_before_reading(tmp_path):
    path = tmp_path / "huge.nbx"
    with open(path, "wb") as f:
        f.truncate(50 * 2**20 + 1)  # sparse: costs no disk space
    with pytest.raises(StudyError, match=r"huge\.nbx: the file is 50 MB; .* over 50 MB"):
        load_study(path)


def test_missing_file_and_folder_are_study_errors(tmp_path):
    with pytest.raises(StudyError, match=r"gone\.nbx: no such file"):
        load_study(tmp_path / "gone.nbx")
    (tmp_path / "folder.nbx").mkdir()
    with pytest.raises(StudyError, match=r"folder\.nbx: is a folder"):
        load_study(tmp_path / "folder.nbx")


def test_deeply_nested_json_is_a_study_error(tmp_path):
    with pytest.raises(StudyError, match=r"bad\.nbx: "):
        load_study(_write(tmp_path, '{"settings": ' + "[" * 100_000 + "]" * 100_000 + "}"))


# --------------------------------------------------------------------------- migrations
def _v0_to_v1(d):
    """A pretend version 0 that called the study's name "title"."""
    d = dict(d)
    d["name"] = d.pop("title")
    return d


def test_older_versions_are_migrated_on_load(tmp_path, monkeypatch, design_dict):
    monkeypatch.setitem(study_file.MIGRATIONS, 0, _v0_to_v1)
    design_dict["version"] = 0
    design_dict["title"] = design_dict.pop("name")
    study = load_study(_write(tmp_path, json.dumps(design_dict), "old.nbx"))
    assert study.name == "Shaving cream base"
    assert study.to_dict()["version"] == 1
    assert "title" not in study.to_dict()


def test_migrations_run_in_order(monkeypatch, design_dict):
    steps = []
    monkeypatch.setitem(study_file.MIGRATIONS, -1, lambda d: steps.append(-1) or d)
    monkeypatch.setitem(study_file.MIGRATIONS, 0, lambda d: steps.append(0) or d)
    design_dict["version"] = -1
    study_from_json(json.dumps(design_dict))
    assert steps == [-1, 0]


def test_a_version_without_migration_or_a_failing_one_is_a_study_error(monkeypatch,
                                                                        design_dict):
    design_dict["version"] = 0
    with pytest.raises(StudyError, match=r"old\.nbx: file version 0 is older than any"):
        study_from_json(json.dumps(design_dict), "old.nbx")
    monkeypatch.setitem(study_file.MIGRATIONS, 0, _v0_to_v1)  # needs "title", absent here
    with pytest.raises(StudyError, match=r"old\.nbx: cannot upgrade the file from version 0"):
        study_from_json(json.dumps(design_dict), "old.nbx")


def test_temp_files_of_an_interrupted_save_are_removed_later(saved):
    path, study = saved
    stale = path.parent / ".study.nbx.1a2b3c4d.tmp"
    fresh = path.parent / ".study.nbx.bak.5e6f7a8b.tmp"
    stale.write_text("half a study")
    fresh.write_text("a save in progress")
    os.utime(stale, (1, 1))
    save_study(study, path)
    assert not stale.exists()
    assert fresh.exists()
