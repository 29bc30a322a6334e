"""The desktop window: the only package that imports PySide6."""

from nextbatch.ui import qtfix

qtfix.install()
