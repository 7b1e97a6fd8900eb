"""File checksums, shared by the data readers (input provenance) and the model folder (integrity)."""

import hashlib


def sha256_file(path):
    """Hex SHA-256 of a file's bytes, read in chunks."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
