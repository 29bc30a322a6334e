"""Qt-free engine: encoding, initial design, GP surrogate, acquisition, suggest()."""
