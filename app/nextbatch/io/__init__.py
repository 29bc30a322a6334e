"""Qt-free files: study JSON, xlsx/csv run sheets, import mapping."""
