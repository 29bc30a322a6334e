"""Whatever a file holds, loading it gives a Study or a StudyError — never another exception."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nextbatch.core import Study, StudyError
from nextbatch.io.study_file import load_study, study_from_json
from nextbatch.resources import example_path

EXAMPLES = [example_path(n).read_bytes() for n in ("shaving-cream", "brewing")]
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def _load_bytes(folder, data: bytes):
    path = folder / "fuzz.nbx"
    path.write_bytes(data)
    try:
        return load_study(path)
    except StudyError as exc:
        assert "fuzz.nbx" in str(exc)  # every message names the file
        return exc


@st.composite
def mutated(draw):
    """An example file with a few bytes flipped, cut, inserted or repeated."""
    data = bytearray(draw(st.sampled_from(EXAMPLES)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "cut", "insert", "repeat"]))
        if action == "flip":
            data[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[at:at + draw(st.integers(1, 200))]
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:
            data[at:at] = data[at:at + draw(st.integers(1, 50))]
        if not data:
            break
    return bytes(data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.just(10**400) | st.floats()
    | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=3),
    max_leaves=6,
)


def _paths(value, prefix=()):
    """Every place inside a JSON value where another value could stand."""
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


@FUZZ
@given(data=st.binary(max_size=3000))
def test_random_bytes_only_raise_study_error(tmp_path, data):
    assert isinstance(_load_bytes(tmp_path, data), Study | StudyError)


@FUZZ
@given(data=mutated())
def test_mutated_examples_only_raise_study_error(tmp_path, data):
    assert isinstance(_load_bytes(tmp_path, data), Study | StudyError)


@settings(max_examples=300, deadline=None)
@given(which=st.sampled_from(EXAMPLES), data=st.data())
def test_any_value_anywhere_only_raises_study_error(which, data):
    """Replace one value of a valid study by any JSON value: the structure is fuzzed too."""
    d = json.loads(which)
    where = data.draw(st.sampled_from(list(_paths(d))[1:]))
    node = d
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = data.draw(json_values)
    text = json.dumps(d, allow_nan=True)
    try:
        study_from_json(text, "fuzz.nbx")
    except StudyError as exc:
        assert str(exc).startswith("fuzz.nbx: ")
