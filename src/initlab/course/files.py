"""Reading files that someone else may have planted: never through a link, never blocking.

A submission folder comes from students, and a worker's folder is the student's to change. The
grader reads such files only with :func:`read_regular`: it opens the path with ``O_NOFOLLOW``
(a symbolic link is refused, not followed) and ``O_NONBLOCK`` (a FIFO or a device cannot make it
wait), checks on the open descriptor that it is a regular file, and reads a bounded size.
"""

from __future__ import annotations

import hashlib
import os
import stat

__all__ = ["NotARegularFile", "read_regular", "sha256"]


class NotARegularFile(OSError):
    """The path is a symbolic link, a FIFO, a device, a socket or a folder, not a file.

    Examples
    --------
    >>> import tempfile
    >>> read_regular(tempfile.mkdtemp(), 100)                  # a folder
    Traceback (most recent call last):
    ...
    initlab.course.files.NotARegularFile: ... is not a regular file (mode drwx------)
    """


def read_regular(path, limit: int, owner: int | None = None) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them (ValueError if longer).

    Raises :class:`NotARegularFile` for anything but a regular file, and PermissionError if
    ``owner`` is given and the file belongs to another uid. Only the last component of ``path``
    is checked for a link: its folders must be the reader's own.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / "a.txt").write_text("hi")
    2
    >>> (folder / "link").symlink_to(folder / "a.txt")
    >>> read_regular(folder / "a.txt", 10)
    b'hi'
    >>> read_regular(folder / "link", 10)
    Traceback (most recent call last):
    ...
    initlab.course.files.NotARegularFile: ... is a symbolic link, not a file
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except OSError as error:
        if error.errno == 40 or os.path.islink(path):          # ELOOP: the last part is a link
            raise NotARegularFile(f"{path} is a symbolic link, not a file") from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotARegularFile(f"{path} is not a regular file (mode {stat.filemode(info.st_mode)})")
        if owner is not None and info.st_uid != owner:
            raise PermissionError(f"{path} belongs to uid {info.st_uid}, not {owner}")
        if info.st_size > limit:
            raise ValueError(f"{path} is larger than {limit >> 20} MB")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise ValueError(f"{path} is larger than {limit >> 20} MB")
        return b"".join(chunks)
    finally:
        os.close(fd)


def sha256(data: bytes) -> str:
    """The hex SHA-256 of ``data``.

    >>> sha256(b"")[:16]
    'e3b0c44298fc1c14'
    """
    return hashlib.sha256(data).hexdigest()
