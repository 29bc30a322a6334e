#!/usr/bin/env bash
# Install the unpacked NextBatch app for this user (no root needed): the app folder, a
# `nextbatch` command, the menu entry, the icon, the .nbx file type and the AppStream data.
#
#     ./install.sh                 # into ~/.local
#     sudo env PREFIX=/usr/local ./install.sh    # for every user
#     ./install.sh --uninstall     # remove what the same PREFIX installed
#
# Run it from the unpacked folder: it expects the app in nextbatch/ beside it.
set -euo pipefail

ID=io.github.nextbatch.NextBatch
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PREFIX="${PREFIX:-$HOME/.local}"
APPDIR="$PREFIX/lib/nextbatch"
SHARE="$PREFIX/share"
SIZES="16 24 32 48 64 128 256 512"

refresh() {
  # Tell the desktop about the new entry, icon and type; each tool is optional.
  if command -v update-mime-database >/dev/null; then update-mime-database "$SHARE/mime" || true; fi
  if command -v update-desktop-database >/dev/null; then
    update-desktop-database "$SHARE/applications" || true
  fi
  if command -v gtk-update-icon-cache >/dev/null; then
    gtk-update-icon-cache -q -t "$SHARE/icons/hicolor" || true
  fi
}

if [[ "${1:-}" == "--uninstall" ]]; then
  rm -rf "$APPDIR"
  rm -f "$PREFIX/bin/nextbatch" "$SHARE/applications/$ID.desktop" \
    "$SHARE/metainfo/$ID.metainfo.xml" "$SHARE/mime/packages/nextbatch-mime.xml" \
    "$SHARE/icons/hicolor/scalable/apps/$ID.svg"
  for size in $SIZES; do rm -f "$SHARE/icons/hicolor/${size}x${size}/apps/$ID.png"; done
  refresh
  echo "NextBatch removed from $PREFIX"
  exit 0
elif [[ $# -gt 0 ]]; then
  echo "usage: [PREFIX=DIR] $0 [--uninstall]" >&2
  exit 2
fi

if [[ ! -x "$HERE/nextbatch/nextbatch" ]]; then
  echo "$HERE/nextbatch/nextbatch not found: run install.sh from the unpacked folder" >&2
  exit 2
fi
icons="$HERE/nextbatch/_internal/resources/icons"

rm -rf "$APPDIR"
mkdir -p "$APPDIR" "$PREFIX/bin" "$SHARE/applications" "$SHARE/metainfo" "$SHARE/mime/packages"
cp -a "$HERE/nextbatch/." "$APPDIR/"
ln -sfn "$APPDIR/nextbatch" "$PREFIX/bin/nextbatch"
# The menu entry names the app by its full path: ~/.local/bin is not on every PATH.
sed -e "s|^Exec=nextbatch|Exec=$APPDIR/nextbatch|" -e "s|^TryExec=nextbatch|TryExec=$APPDIR/nextbatch|" \
  "$HERE/$ID.desktop" > "$SHARE/applications/$ID.desktop"
cp "$HERE/$ID.metainfo.xml" "$SHARE/metainfo/"
cp "$HERE/nextbatch-mime.xml" "$SHARE/mime/packages/"
for size in $SIZES; do
  mkdir -p "$SHARE/icons/hicolor/${size}x${size}/apps"
  cp "$icons/nextbatch-$size.png" "$SHARE/icons/hicolor/${size}x${size}/apps/$ID.png"
done
mkdir -p "$SHARE/icons/hicolor/scalable/apps"
cp "$icons/nextbatch.svg" "$SHARE/icons/hicolor/scalable/apps/$ID.svg"
refresh
echo "NextBatch installed in $APPDIR; start it from the menu or with: $PREFIX/bin/nextbatch"
