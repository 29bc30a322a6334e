"""The frozen app's entry point: what the `nextbatch` console script does, as a file.

PyInstaller needs a script, not an entry point; this one only hands over to the CLI so the
bundle and `pip install` start the app the same way.
"""

import sys

from nextbatch.cli import main

if __name__ == "__main__":
    sys.exit(main())
