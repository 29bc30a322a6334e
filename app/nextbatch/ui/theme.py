"""Light or dark, as the system says: a Fusion palette for each, switched when it changes.

Fusion draws with whatever palette it is given but starts light; on desktops whose platform
theme does not hand Qt a dark palette, `follow_system_scheme` applies one itself.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

_DARK = {
    QPalette.ColorRole.Window: QColor(45, 45, 48),
    QPalette.ColorRole.WindowText: QColor(230, 230, 230),
    QPalette.ColorRole.Base: QColor(30, 30, 32),
    QPalette.ColorRole.AlternateBase: QColor(40, 40, 44),
    QPalette.ColorRole.Text: QColor(230, 230, 230),
    QPalette.ColorRole.Button: QColor(55, 55, 60),
    QPalette.ColorRole.ButtonText: QColor(230, 230, 230),
    QPalette.ColorRole.Highlight: QColor(42, 130, 218),
    QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
    QPalette.ColorRole.ToolTipBase: QColor(60, 60, 64),
    QPalette.ColorRole.ToolTipText: QColor(230, 230, 230),
    QPalette.ColorRole.PlaceholderText: QColor(150, 150, 150),
}


def palette_for(scheme: Qt.ColorScheme, light: QPalette) -> QPalette:
    """The palette to use for `scheme`; `light` is the style's own (standard) palette."""
    if scheme != Qt.ColorScheme.Dark:
        return QPalette(light)
    dark = QPalette(light)
    for role, color in _DARK.items():
        dark.setColor(role, color)
    dark.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor(120, 120, 120))
    dark.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText,
                  QColor(120, 120, 120))
    dark.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText,
                  QColor(120, 120, 120))
    return dark


def follow_system_scheme(app: QApplication) -> None:
    """Apply the palette of the current scheme now and whenever the system switches."""
    light = app.style().standardPalette()

    def apply(scheme: Qt.ColorScheme) -> None:
        app.setPalette(palette_for(scheme, light))

    apply(app.styleHints().colorScheme())
    app.styleHints().colorSchemeChanged.connect(apply)
