"""The installable app's files: spec, icons, launchers, installer scripts and build.py.

Fast checks only; the real build (`python packaging/build.py`, a minute or more) is not run
here. The spec is read as Python source, so PyInstaller need not be installed.
"""

from __future__ import annotations

import ast
import configparser
import importlib.util
import plistlib
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType
from typing import Any

import nextbatch
import pytest
from hypothesis import given
from hypothesis import strategies as st
from nextbatch.resources import ICON_SIZES, example_path, icon_path, resources_dir

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
SPEC = PACKAGING / "pyinstaller" / "nextbatch.spec"
ICONS = ROOT / "resources" / "icons"
APP_ID = "io.github.nextbatch.NextBatch"
MIME_TYPE = "application/x-nextbatch-study"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def load_module(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


linked = load_module("linked_libraries", PACKAGING / "linked_libraries.py")
build = load_module("nextbatch_packaging_build", PACKAGING / "build.py")
make_icons = load_module("nextbatch_packaging_make_icons", PACKAGING / "make_icons.py")


def spec_namespace() -> dict[str, Any]:
    """The spec's constants and helper functions, without running PyInstaller's Analysis."""
    tree = ast.parse(SPEC.read_text(encoding="utf-8"))
    keep = [node for node in tree.body if isinstance(node, ast.FunctionDef | ast.Import)
            or (isinstance(node, ast.Assign) and isinstance(node.value, ast.List | ast.Tuple))]
    namespace: dict[str, Any] = {"ROOT": ROOT, "Path": Path}
    exec(compile(ast.Module(body=keep, type_ignores=[]), str(SPEC), "exec"), namespace)
    return namespace


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE, "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


# --------------------------------------------------------------------------------- spec
def test_spec_reads_the_version_the_app_reports() -> None:
    assert spec_namespace()["read_version"]() == nextbatch.__version__


def test_spec_bundles_examples_and_icons_but_not_screenshots() -> None:
    files = {Path(src).relative_to(ROOT): Path(dest)
             for src, dest in spec_namespace()["resource_files"]()}
    for name in ("shaving-cream", "brewing"):
        example = example_path(name).relative_to(ROOT)
        assert files[example] == example.parent
    for size in ICON_SIZES:
        assert Path(f"resources/icons/nextbatch-{size}.png") in files
    assert not [f for f in files if "screenshots" in f.parts]
    assert any((ROOT / "resources" / "screenshots").glob("*.png")), "nothing to leave out"


def test_spec_leaves_out_unused_qt_and_heavy_modules() -> None:
    namespace = spec_namespace()
    excluded = set(namespace["UNUSED_QT"]) | set(namespace["UNUSED_PYTHON"])
    for module in ("QtWebEngineCore", "Qt3DCore", "QtQuick", "QtQml", "QtMultimedia",
                   "QtNetwork", "QtSql", "QtTest", "QtDesigner", "QtBluetooth"):
        assert f"PySide6.{module}" in excluded
    for module in ("tkinter", "matplotlib", "IPython", "pytest", "hypothesis", "torch"):
        assert module in excluded


def imported_modules(package: Path) -> set[str]:
    names = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_spec_excludes_nothing_the_app_imports() -> None:
    """A module the app imports but the spec excludes breaks only the built app."""
    namespace = spec_namespace()
    excluded = [*namespace["UNUSED_QT"], *namespace["UNUSED_PYTHON"],
                *namespace["UNUSED_SCIPY"]]
    used = imported_modules(ROOT / "app" / "nextbatch")
    assert "PySide6.QtWidgets" in used and "scipy.optimize" in used
    clashes = sorted(name for name in used for ex in excluded
                     if name == ex or name.startswith(ex + "."))
    assert clashes == []


@pytest.mark.parametrize("kept", [
    "PySide6/Qt/lib/libQt6Core.so.6", "PySide6/Qt/lib/libQt6Gui.so.6",
    "PySide6/Qt/lib/libQt6Widgets.so.6", "PySide6/Qt/lib/libQt6Svg.so.6",
    "PySide6/Qt/lib/libQt6OpenGL.so.6", "PySide6/Qt/lib/libQt6OpenGLWidgets.so.6",
    "PySide6/Qt/lib/libQt6DBus.so.6", "PySide6/Qt/plugins/platforms/libqxcb.so",
    "PySide6/Qt/plugins/platforms/libqwayland.so", "PySide6/Qt/plugins/imageformats/libqsvg.so",
    "PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so",
])
def test_spec_keeps_the_qt_files_the_app_needs(kept: str) -> None:
    assert [part for part in spec_namespace()["UNUSED_QT_FILES"] if part in kept] == []


# -------------------------------------------------------------------------------- icons
def test_every_png_size_is_a_square_png_of_that_size() -> None:
    for size in ICON_SIZES:
        path = icon_path(size)
        assert path.name == f"nextbatch-{size}.png"
        assert png_size(path.read_bytes()) == (size, size)


def test_icon_path_picks_the_next_larger_size() -> None:
    assert icon_path(20).name == "nextbatch-24.png"
    assert icon_path(16).name == "nextbatch-16.png"
    assert icon_path(4096).name == "nextbatch-512.png"
    assert icon_path().parent == resources_dir() / "icons"


def test_ico_holds_a_png_per_windows_size() -> None:
    data = (ICONS / "nextbatch.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind, count) == (0, 1, len(make_icons.ICO_SIZES))
    sizes = []
    for i in range(count):
        width, height, _, _, _, bits, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * i:22 + 16 * i])
        image = data[offset:offset + length]
        edge = width or 256
        assert (width, height, bits) == (edge % 256, edge % 256, 32)
        assert png_size(image) == (edge, edge)
        sizes.append(edge)
    assert sizes == sorted(make_icons.ICO_SIZES)


def test_icns_holds_every_macos_element_as_png() -> None:
    data = (ICONS / "nextbatch.icns").read_bytes()
    assert data[:4] == b"icns"
    assert struct.unpack(">I", data[4:8])[0] == len(data)
    found, offset = {}, 8
    while offset < len(data):
        kind = data[offset:offset + 4].decode("ascii")
        length = struct.unpack(">I", data[offset + 4:offset + 8])[0]
        found[kind] = png_size(data[offset + 8:offset + length])[0]
        offset += length
    assert found == make_icons.ICNS_TYPES
    assert {"icp4", "ic07", "ic10"} <= set(found)  # 16, 128 and 1024 px


def test_pngs_are_up_to_date_with_the_svg(qapp: Any) -> None:
    """Editing the SVG without running make_icons.py fails here."""
    from PySide6.QtGui import QImage

    for size in (16, 64):
        fresh = QImage.fromData(make_icons.render_png(make_icons.SOURCE, size))
        committed = QImage(str(icon_path(size)))
        differing = sum(
            1 for y in range(size) for x in range(size)
            if max(abs(a - b) for a, b in zip(fresh.pixelColor(x, y).getRgb(),
                                              committed.pixelColor(x, y).getRgb(),
                                              strict=True)) > 48)
        assert differing <= size * size // 50, f"{size} px: {differing} pixels differ"


def test_app_icon_offers_every_size(qapp: Any) -> None:
    from nextbatch.ui.resources_path import app_icon

    sizes = {s.width() for s in app_icon().availableSizes()}
    assert sizes == set(ICON_SIZES)


def test_svg_is_well_formed_and_square() -> None:
    root = ET.parse(ICONS / "nextbatch.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 64 64"


# -------------------------------------------------------------------------------- Linux
def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(PACKAGING / "linux" / f"{APP_ID}.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_file_has_the_keys_a_menu_needs() -> None:
    entry = desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Name"] == "NextBatch"
    assert entry["Comment"]
    assert entry["Exec"].split()[0] == "nextbatch" and "%f" in entry["Exec"]
    assert entry["Icon"] == APP_ID
    assert {"Science", "Education"} <= set(entry["Categories"].rstrip(";").split(";"))
    assert entry["MimeType"].rstrip(";").split(";") == [MIME_TYPE]
    assert entry["Terminal"] == "false"


def test_mime_type_recognises_the_example_studies() -> None:
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    mime = ET.parse(PACKAGING / "linux" / "nextbatch-mime.xml").getroot().find("m:mime-type", ns)
    assert mime is not None and mime.get("type") == MIME_TYPE
    glob = mime.find("m:glob", ns)
    match = mime.find("m:magic/m:match", ns)
    assert glob is not None and match is not None
    assert glob.get("pattern") == "*.nbx"
    start, end = (int(n) for n in (match.get("offset") or "").split(":"))
    for name in ("shaving-cream", "brewing"):
        path = example_path(name)
        assert Path(path.name).match(glob.get("pattern") or "")
        found = path.read_bytes().find((match.get("value") or "").encode())
        assert start <= found <= end, f"{path.name}: magic string at {found}"


def test_metainfo_describes_the_app_with_existing_screenshots() -> None:
    root = ET.parse(PACKAGING / "linux" / f"{APP_ID}.metainfo.xml").getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == f"{APP_ID}.desktop"
    assert root.findtext("name") == desktop_entry()["Name"]
    assert root.findtext("summary")
    assert len(root.findall("description/p")) >= 1
    assert root.find("content_rating") is not None
    assert root.findtext("provides/mediatype") == MIME_TYPE
    images = [image.text or "" for image in root.findall("screenshots/screenshot/image")]
    assert images
    for image in images:
        assert (ROOT / "resources" / "screenshots" / image).is_file(), image
    release = root.find("releases/release")
    assert release is not None and release.get("version") == nextbatch.__version__


# ------------------------------------------------------------------------ Windows, macOS
def test_info_plist_declares_the_bundle_and_nbx_documents() -> None:
    with (PACKAGING / "macos" / "Info.plist").open("rb") as file:
        info = plistlib.load(file)
    assert info["CFBundleIdentifier"] == APP_ID
    assert info["NSHighResolutionCapable"] is True
    assert re.fullmatch(r"\d+\.\d+", info["LSMinimumSystemVersion"])
    declared = info["UTExportedTypeDeclarations"][0]
    assert declared["UTTypeTagSpecification"]["public.filename-extension"] == ["nbx"]
    document = info["CFBundleDocumentTypes"][0]
    assert document["LSItemContentTypes"] == [declared["UTTypeIdentifier"]]
    assert (ICONS / document["CFBundleTypeIconFile"]).is_file()


def test_inno_setup_script_installs_the_bundle_with_an_nbx_association() -> None:
    script = (PACKAGING / "windows" / "nextbatch.iss").read_text(encoding="utf-8")
    sections = set(re.findall(r"^\[(\w+)\]", script, flags=re.MULTILINE))
    assert {"Setup", "Files", "Icons", "Registry", "Run"} <= sections
    assert "DefaultDirName={autopf}" in script
    assert re.search(r'Subkey: "Software\\Classes\\\.nbx"', script)
    assert "ChangesAssociations=yes" in script
    relative_root = re.search(r'^#define Root "(.+)"$', script, flags=re.MULTILINE)
    assert relative_root is not None
    root = (PACKAGING / "windows" / relative_root.group(1).replace("\\", "/")).resolve()
    assert root == ROOT
    icon = re.search(r"^SetupIconFile=\{#Root\}\\(.+)$", script, flags=re.MULTILINE)
    assert icon is not None and (root / icon.group(1).replace("\\", "/")).is_file()
    assert re.search(r'^Source: "\{#Root\}\\dist\\nextbatch\\\*"', script, flags=re.MULTILINE)


# ----------------------------------------------------------------------------- build.py
def test_build_help_works_without_pyinstaller() -> None:
    proc = subprocess.run([sys.executable, str(PACKAGING / "build.py"), "--help"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "--skip-build" in proc.stdout and "--clean" in proc.stdout


def test_launcher_starts_the_cli() -> None:
    proc = subprocess.run([sys.executable, str(PACKAGING / "pyinstaller" / "launcher.py"),
                           "--version"], capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout.strip()) == (0, f"nextbatch {nextbatch.__version__}")


def test_a_clean_launch_has_no_problems() -> None:
    assert build.output_problems(0, "ok      build the main window (0.02 s)\n", "") == []


@pytest.mark.parametrize(("returncode", "stdout", "stderr", "expected"), [
    (1, "", "", "exit status 1"),
    (0, "Traceback (most recent call last):\n", "", "traceback"),
    (0, "", "qt.qpa.fonts: Cannot find font directory\n", "unexpected line"),
])
def test_a_failed_launch_is_reported(returncode: int, stdout: str, stderr: str,
                                     expected: str) -> None:
    problems = build.output_problems(returncode, stdout, stderr)
    assert len(problems) == 1 and expected in problems[0]


def test_bundle_size_counts_links_as_links(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "libbig.so").write_bytes(b"\0" * 2**20)
    (tmp_path / "libbig.so").symlink_to("lib/libbig.so")
    assert build.bundle_size_mb(tmp_path) == pytest.approx(1.0, abs=0.001)


def test_missing_qt_libraries_are_named(tmp_path: Path) -> None:
    (tmp_path / "libQt6Core.so.6").write_bytes(b"")
    plugin = tmp_path / "plugins" / "libqvnc.so"
    needed = {plugin: ["libQt6Core.so.6", "libQt6Network.so.6", "libc.so.6"]}
    assert build.missing_qt_libraries(tmp_path, needed) == [
        f"{Path('plugins', 'libqvnc.so')} needs libQt6Network.so.6"]


graphs = st.dictionaries(st.sampled_from("abcdefgh"),
                         st.lists(st.sampled_from("abcdefgh"), max_size=4), max_size=8)


@given(needs=graphs, roots=st.sets(st.sampled_from("abcdefgh")),
       dropped=st.sets(st.sampled_from("abcdefgh"), max_size=2))
def test_only_libraries_no_kept_root_needs_are_dropped(
        needs: dict[str, list[str]], roots: set[str], dropped: set[str]) -> None:
    gone = linked.only_needed_by(dropped, roots, needs)
    kept_roots = roots - dropped
    assert not gone & linked.reachable(kept_roots, needs)
    assert gone <= linked.reachable(dropped, needs)
    assert linked.reachable(kept_roots, needs) | gone | dropped >= linked.reachable(
        roots | dropped, needs)


def test_needed_libraries_of_a_real_binary() -> None:
    import PySide6.QtCore

    assert linked.can_read_links(), "build.py's Qt link check needs objdump: install binutils"

    needs = linked.needed_libraries(PySide6.QtCore.__file__)
    assert any(name.startswith("libQt6Core.so") for name in needs)


# ----------------------------------------------------------------------- Linux install.sh
def unpacked_archive(tmp_path: Path) -> Path:
    """What `build.py --archive` packs, with a stand-in app that only prints its arguments."""
    import shutil

    folder = tmp_path / "NextBatch"
    shutil.copytree(PACKAGING / "linux", folder)
    app = folder / "nextbatch"
    shutil.copytree(ICONS, app / "_internal" / "resources" / "icons")
    (app / "nextbatch").write_text('#!/bin/sh\necho "app $*"\n', encoding="utf-8")
    (app / "nextbatch").chmod(0o755)
    return folder


def test_install_sh_installs_and_uninstalls_for_one_user(tmp_path: Path) -> None:
    folder = unpacked_archive(tmp_path)
    prefix = tmp_path / "prefix"
    env = {"PATH": "/usr/bin:/bin", "PREFIX": str(prefix), "HOME": str(tmp_path)}
    subprocess.run(["bash", str(folder / "install.sh")], env=env, check=True,
                   capture_output=True, timeout=60)
    out = subprocess.run([str(prefix / "bin" / "nextbatch"), "study.nbx"], text=True,
                         capture_output=True, check=True).stdout
    assert out == "app study.nbx\n"
    desktop = (prefix / "share" / "applications" / f"{APP_ID}.desktop").read_text()
    assert f"Exec={prefix}/lib/nextbatch/nextbatch %f" in desktop.splitlines()
    for size in ICON_SIZES:
        icon = prefix / "share" / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        assert png_size(icon.read_bytes()) == (size, size)
    assert (prefix / "share" / "mime" / "packages" / "nextbatch-mime.xml").is_file()
    assert (prefix / "share" / "metainfo" / f"{APP_ID}.metainfo.xml").is_file()

    subprocess.run(["bash", str(folder / "install.sh"), "--uninstall"], env=env, check=True,
                   capture_output=True, timeout=60)
    assert not (prefix / "lib" / "nextbatch").exists()
    assert not (prefix / "bin" / "nextbatch").exists()
    assert not list((prefix / "share").rglob(f"{APP_ID}*"))
