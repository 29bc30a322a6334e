"""Study files (`.nbx`): JSON on disk, saved atomically, never silently overwritten.

A save writes a temporary file next to the target, syncs it and renames it over the target,
so a crash or a kill leaves either the old file or the new one, never half of each. The
previous version is kept as `NAME.nbx.bak`. The `FileStamp` a load or save leaves in
`study.origin` lets the next save notice that someone else changed the file in between.
"""

from __future__ import annotations

import glob
import hashlib
import json
import math
import os
import re
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nextbatch.core.errors import SaveConflictError, StudyError
from nextbatch.core.study import FORMAT, VERSION, Study

MAX_BYTES = 50 * 1024 * 1024
# Temp files of an interrupted save older than this are removed by the next save.
STALE_TEMP_SECONDS = 600

Migration = Callable[[dict[str, Any]], dict[str, Any]]
# {old version: function turning a file of that version into one of the next version}.
# Version 1 is the first; add `MIGRATIONS[1] = _v1_to_v2` when version 2 arrives.
MIGRATIONS: dict[int, Migration] = {}


@dataclass(frozen=True)
class FileStamp:
    """What a study file looked like when this study last read or wrote it."""

    path: str
    mtime_ns: int
    size: int
    sha256: str


# ---------------------------------------------------------------------------------- text
def study_to_json(study: Study) -> str:
    """The file's text: UTF-8 friendly, indented, keys in `to_dict` order, final newline."""
    d = study.to_dict()
    try:
        text = json.dumps(d, indent=2, ensure_ascii=False, allow_nan=False)
    except ValueError as exc:
        where = _non_finite(d, "")
        raise StudyError(f"cannot save the study: {where} is not a finite number, which a "
                         "study file cannot hold; clear or correct that value") from exc
    return text + "\n"


def study_from_json(text: str, source: str = "<string>") -> Study:
    """Parse a study file's text; every failure is a StudyError that names `source`."""
    try:
        raw = json.loads(text, parse_constant=_refuse_constant, parse_int=_parse_int)
    except _TooLargeError as exc:
        digits = exc.args[0]
        raise StudyError(f"{source}: the number {digits[:12]}… ({len(digits)} digits) is too "
                         "large; numbers in a study must stay below 1e308") from exc
    except _ConstantError as exc:
        raise StudyError(f"{source}: {_position(text, exc.args[0])}{exc.args[0]} is not "
                         "allowed in a study file; write a number or remove the value") from exc
    except json.JSONDecodeError as exc:
        reason = exc.msg[:1].lower() + exc.msg[1:]
        raise StudyError(f"{source}: not valid JSON — line {exc.lineno}, column {exc.colno}: "
                         f"{reason}") from exc
    except RecursionError as exc:
        raise StudyError(f"{source}: the JSON is nested too deeply to be a study") from exc
    except ValueError as exc:  # e.g. an integer with thousands of digits
        raise StudyError(f"{source}: not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise StudyError(f"{source}: expected a JSON object ({{...}}) at the top, "
                         f"found {_json_type(raw)}")
    try:
        return Study.from_dict(_migrate(raw, source))
    except StudyError as exc:
        if str(exc).startswith(f"{source}:"):
            raise
        raise StudyError(f"{source}: {exc}", exc.problems) from exc
    except (RecursionError, OverflowError) as exc:
        raise StudyError(f"{source}: holds a value this app cannot read ({exc})") from exc


def _migrate(d: dict[str, Any], source: str) -> dict[str, Any]:
    """Bring an older file up to VERSION one step at a time; other versions pass through."""
    version = d.get("version", VERSION)
    if d.get("format", FORMAT) != FORMAT or not isinstance(version, int) or isinstance(
        version, bool
    ):
        return d  # Study.from_dict explains what is wrong
    while version < VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise StudyError(f"{source}: file version {version} is older than any this app "
                             f"can upgrade (it reads versions {min(MIGRATIONS, default=VERSION)}"
                             f" to {VERSION})")
        try:
            d = step(d)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StudyError(f"{source}: cannot upgrade the file from version {version}: "
                             f"{exc!r}") from exc
        version += 1
        d["version"] = version
    return d


class _ConstantError(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _ConstantError(name)


class _TooLargeError(ValueError):
    pass


def _parse_int(digits: str) -> int:
    """Whole numbers as JSON has them, refusing ones no float can hold (they break the maths)."""
    if len(digits) > 310 or abs(value := int(digits)) > sys.float_info.max:
        raise _TooLargeError(digits)
    return value


def _position(text: str, constant: str) -> str:
    """`line L, column C: ` of the first NaN/Infinity used as a value, or '' if not found."""
    match = re.search(r"[:\[,]\s*(" + re.escape(constant) + r")", text)
    if match is None:
        return ""
    offset = match.start(1)
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}: "


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    if value is None:
        return "null"
    return f"the value {value!r}"


def _non_finite(value: Any, path: str) -> str:
    """The path (`runs[3].results.ph`) of the first NaN or infinity inside `value`."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"{path or 'a value'} = {value}"
    items = value.items() if isinstance(value, dict) else (
        enumerate(value) if isinstance(value, list | tuple) else ())
    for key, item in items:
        sub = f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else key)
        found = _non_finite(item, sub)
        if found:
            return found
    return ""


# ----------------------------------------------------------------------------------- files
def load_study(path: str | os.PathLike[str]) -> Study:
    """Read a `.nbx` file. Raises StudyError (naming the file) for anything that goes wrong."""
    path = Path(path)
    name = path.name or str(path)
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if st.st_size > MAX_BYTES:
                raise StudyError(f"{name}: the file is {st.st_size / 2**20:.0f} MB; study files "
                                 f"over {MAX_BYTES // 2**20} MB are refused (is it really a "
                                 "study?)")
            data = f.read(MAX_BYTES + 1)
    except FileNotFoundError as exc:
        raise StudyError(f"{name}: no such file ({path})") from exc
    except IsADirectoryError as exc:
        raise StudyError(f"{name}: is a folder, not a study file") from exc
    except OSError as exc:
        raise StudyError(f"{name}: cannot read the file ({exc.strerror or exc})") from exc
    if len(data) > MAX_BYTES:
        raise StudyError(f"{name}: the file grew past {MAX_BYTES // 2**20} MB while reading")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise StudyError(f"{name}: not UTF-8 text — byte 0x{data[exc.start]:02x} at line "
                         f"{line} cannot be decoded; save the file as UTF-8") from exc
    study = study_from_json(text, name)
    study.origin = FileStamp(str(path.resolve()), st.st_mtime_ns, len(data), _sha256(data))
    return study


def save_study(study: Study, path: str | os.PathLike[str], *, force: bool = False) -> None:
    """Write `study` to `path` atomically, keeping the previous file as `NAME.nbx.bak`.

    Raises SaveConflictError when the file changed on disk since this study read or wrote it
    (unless `force`), StudyError when the study cannot be written; the file is then untouched.
    """
    path = Path(path)
    try:
        data = study_to_json(study).encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start:exc.end]
        raise StudyError(f"cannot save {path.name}: the text {bad!r} (near "
                         f"{exc.object[max(0, exc.start - 30):exc.start]!r}) is not a valid "
                         "character; retype that text") from exc
    target = path.resolve()
    try:
        previous = target.read_bytes() if target.exists() else None
    except OSError as exc:
        raise StudyError(f"cannot save {path.name}: {exc.strerror or exc}") from exc
    if not force:
        _check_conflict(study, target, previous)
    try:
        mode = None
        if previous is not None:
            mode = target.stat().st_mode
            _write_atomically(target.with_name(target.name + ".bak"), previous, mode)
        _write_atomically(target, data, mode)
        st = target.stat()
    except OSError as exc:
        raise StudyError(f"cannot save {path.name}: {exc.strerror or exc}") from exc
    study.origin = FileStamp(str(target), st.st_mtime_ns, len(data), _sha256(data))
    _remove_stale_temp_files(target)


def _remove_stale_temp_files(target: Path) -> None:
    """Temp files a killed save left behind; recent ones may belong to a save in progress."""
    cutoff = time.time() - STALE_TEMP_SECONDS
    for leftover in target.parent.glob(f".{glob.escape(target.name)}*.tmp"):
        try:
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()
        except OSError:
            pass  # gone already, or not ours to remove


def _check_conflict(study: Study, target: Path, previous: bytes | None) -> None:
    stamp = study.origin
    if not isinstance(stamp, FileStamp) or stamp.path != str(target) or previous is None:
        return
    if _sha256(previous) != stamp.sha256:
        raise SaveConflictError(
            f"{target.name} was changed by another program since it was opened; saving "
            "now would overwrite that change. Reload it, or save under another name (or "
            "force the save to overwrite).", str(target))


def _write_atomically(target: Path, data: bytes, mode: int | None) -> None:
    """Temp file in the same folder, fsync, rename over `target`, fsync the folder."""
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable; not possible (nor needed) on Windows."""
    if os.name == "nt":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
