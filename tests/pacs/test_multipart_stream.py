"""The streaming multipart reader behind STOW-RS: parts land in files whatever the chunking of the body."""

import hashlib
import io

import pytest

from pacs.dicomweb import multipart


def body(*contents: bytes, mark: str = "b0undary", close: bool = True) -> bytes:
    parts = b"".join(
        b"--" + mark.encode() + b"\r\nContent-Type: application/dicom\r\n\r\n" + c + b"\r\n" for c in contents
    )
    return b"preamble\r\n" + parts + (b"--" + mark.encode() + b"--\r\n" if close else b"")


def read_all(data: bytes, tmp_path, chunk: int, limit: int = 10**9):
    stream = io.BytesIO(data)
    counter = iter(range(1000))
    files = multipart.parts_to_files(
        stream.read, "b0undary", lambda: tmp_path / f"{next(counter)}.part", limit=limit, chunk=chunk
    )
    parts = []
    for headers, path, (sha256, size) in files:
        content = path.read_bytes()
        assert (sha256, size) == (hashlib.sha256(content).hexdigest(), len(content))  # hashed as written
        parts.append((headers, content))
    return parts


@pytest.mark.parametrize("chunk", [1, 3, 7, 64, 1 << 20])
def test_parts_are_recovered_exactly_for_any_chunk_size(tmp_path, chunk):
    contents = [b"first\r\n--b0und", b"", bytes(range(256)) * 40]
    parts = read_all(body(*contents), tmp_path, chunk)
    assert [content for _headers, content in parts] == contents
    assert parts[0][0] == {"content-type": "application/dicom"}


def test_a_body_cut_short_is_malformed_after_the_complete_parts(tmp_path):
    stream = io.BytesIO(body(b"whole", b"cut" * 20)[:-20])
    counter = iter(range(10))
    reader = multipart.parts_to_files(
        stream.read, "b0undary", lambda: tmp_path / f"{next(counter)}", limit=10**6, chunk=5
    )
    headers, path, _digest = next(reader)
    assert path.read_bytes() == b"whole"
    with pytest.raises(multipart.Malformed, match="The body ends inside a part."):
        next(reader)
    assert sorted(tmp_path.iterdir()) == [path]  # the part cut short left no file


def test_a_part_over_the_limit_leaves_no_file(tmp_path):
    with pytest.raises(multipart.TooLarge):
        read_all(body(b"x" * 5000), tmp_path, chunk=1000, limit=2000)
    assert list(tmp_path.iterdir()) == []


def test_a_body_over_the_limit_stops_reading(tmp_path):
    with pytest.raises(multipart.TooLarge):
        read_all(body(b"x" * 5000), tmp_path, chunk=1000, limit=2000)


def test_a_body_without_the_boundary_is_malformed(tmp_path):
    with pytest.raises(multipart.Malformed, match="no multipart boundary"):
        read_all(b"just some bytes", tmp_path, chunk=4)
