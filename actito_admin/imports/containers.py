"""Opening an upload whatever its container (plain, gzip, zip): the caps on size and expansion
that stop a compression bomb while it expands, and the one error type a marketer can act on,
`FileProblem(code, message)`. csvfile.py reads CSV through `open_decompressed`.
"""

from __future__ import annotations

import gzip
import io
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, cast

from django.utils.formats import get_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

Container = Literal["plain", "gzip", "zip"]

READ_BUFFER = 1 * MiB
# Resource forks and Finder files that macOS adds when a user zips a single file.
_ZIP_NOISE_PREFIXES = ("__MACOSX/",)
_ZIP_NOISE_NAMES = (".DS_Store", "Thumbs.db", "desktop.ini")
_SPREADSHEET_HELP = gettext_lazy(
    "In Excel or LibreOffice choose File › Save As › “CSV UTF-8 (comma delimited)” and upload "
    "that file instead."
)


class ReadsInto(Protocol):
    """A binary stream that fills a buffer (gzip, a ZIP member, a raw file)."""

    def readinto(self, buffer: memoryview, /) -> int: ...


class FileProblem(Exception):
    """A problem with the uploaded file that the person who uploaded it can fix."""

    def __init__(self, code: str, message: Any, *, line: int | None = None) -> None:
        # The message is said to the marketer (already in their language); a lazy one is made a
        # plain str here so that it can be stored in a job's report or failure message.
        message = str(message)
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line  # where in the file, when one line is to blame

    def __repr__(self) -> str:
        return f"FileProblem({self.code!r}, {self.message!r})"


@dataclass(frozen=True)
class Limits:
    """Safety limits for reading uploads. Defaults suit raw CSVs up to 2 GiB."""

    # Decompressed (or plain) bytes we agree to read at most.
    max_uncompressed_bytes: int = 2 * GiB
    # Real CSVs compress 3–20×; a ratio this high after `ratio_checked_after` bytes is a bomb.
    max_compression_ratio: float = 100.0
    # Checked against the compressed bytes read so far, so a bomb is stopped within the first
    # megabytes instead of after 100 × its size.
    ratio_checked_after: int = 1 * MiB
    # What ACTITO accepts (ETLP: "Files are limited to 100 MB"), checked on the compressed output.
    max_compressed_bytes: int = 100 * MiB


DEFAULT_LIMITS = Limits()


def human_size(size: float) -> str:
    """ "1.5 MB", in the current language's units and decimal sign ("1,5 Mo" in French)."""
    if size < 1024:
        return _("%(size)s bytes") % {"size": f"{size:.0f}"}
    size /= 1024
    for unit in ("KB", "MB"):
        if size < 1024:
            return _unit(size, unit)
        size /= 1024
    return _unit(size, "GB")


def _unit(size: float, unit: str) -> str:
    number = f"{size:.1f}".replace(".", str(get_format("DECIMAL_SEPARATOR")))
    if unit == "KB":
        return _("%(size)s KB") % {"size": number}
    if unit == "MB":
        return _("%(size)s MB") % {"size": number}
    return _("%(size)s GB") % {"size": number}


# --- Opening: container, caps, decompression -------------------------------------------------


class _CappedReader(io.RawIOBase):
    """Counts decompressed bytes and stops a stream that grows past the limits.

    `compressed_size` is the size of the compressed input; the ratio test uses the whole of it,
    so it can only under-estimate the real ratio — never a false alarm on an honest file.
    """

    def __init__(
        self,
        inner: ReadsInto,
        *,
        container: Container,
        compressed_size: int | None,
        limits: Limits,
        consumed: Callable[[], int] | None = None,
    ) -> None:
        self._inner = inner
        self._container = container
        self._compressed_size = compressed_size
        self._limits = limits
        # Compressed bytes read so far (over-counted a little: the decompressor reads ahead).
        self._consumed = consumed or (lambda: compressed_size or 0)
        self.total = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = self._inner.readinto(buffer)
        self.total += n
        limits = self._limits
        if self.total > limits.max_uncompressed_bytes:
            values = {"size": human_size(limits.max_uncompressed_bytes)}
            if self._container == "gzip":
                message = _(
                    "Once unpacked, this gzip file is larger than %(size)s, the most we can "
                    "process. Split it into smaller files."
                )
            else:
                message = _(
                    "Once unpacked, this ZIP file is larger than %(size)s, the most we can "
                    "process. Split it into smaller files."
                )
            raise FileProblem("ZIP_BOMB", message % values)
        if (
            self._compressed_size
            and self.total > limits.ratio_checked_after
            and self.total > limits.max_compression_ratio * max(1, self._consumed())
        ):
            values = {"ratio": f"{limits.max_compression_ratio:.0f}"}
            if self._container == "gzip":
                message = _(
                    "This gzip file unpacks to more than %(ratio)s times its size, which real "
                    "CSV files never do. We stopped reading it for safety."
                )
            else:
                message = _(
                    "This ZIP file unpacks to more than %(ratio)s times its size, which real "
                    "CSV files never do. We stopped reading it for safety."
                )
            raise FileProblem("ZIP_BOMB", message % values)
        return n


def _sniff_container(path: Path) -> Container:
    with open(path, "rb") as f:
        head = f.read(4)
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return "zip"
    return "plain"


def _zip_member(archive: zipfile.ZipFile, limits: Limits) -> zipfile.ZipInfo:
    """The one CSV inside a zip, after the checks that need no decompression."""
    infos = archive.infolist()
    names = [i.filename for i in infos]
    if "[Content_Types].xml" in names or any(n.startswith("xl/") for n in names):
        raise FileProblem(
            "SPREADSHEET_FILE",
            _("This is an Excel workbook (.xlsx), not a CSV file. %(how)s")
            % {"how": _SPREADSHEET_HELP},
        )
    if "mimetype" in names and any(n == "content.xml" for n in names):
        raise FileProblem(
            "SPREADSHEET_FILE",
            _("This is an OpenDocument spreadsheet (.ods), not a CSV file. %(how)s")
            % {"how": _SPREADSHEET_HELP},
        )
    files = [
        i
        for i in infos
        if not i.is_dir()
        and not i.filename.startswith(_ZIP_NOISE_PREFIXES)
        and i.filename.rsplit("/", 1)[-1] not in _ZIP_NOISE_NAMES
    ]
    if not files:
        raise FileProblem(
            "ZIP_NO_CSV",
            _("This ZIP file contains no file. It must contain exactly one CSV file."),
        )
    if len(files) > 1:
        listed = ", ".join(f"“{i.filename}”" for i in files[:5])
        if len(files) > 5:
            more = len(files) - 5
            listed = ngettext(
                "%(names)s and %(count)s more", "%(names)s and %(count)s more", more
            ) % {"names": listed, "count": more}
        raise FileProblem(
            "ZIP_MULTIPLE_FILES",
            ngettext(
                "This ZIP file contains %(count)s file (%(names)s). ACTITO accepts a ZIP with "
                "exactly one CSV file: upload each CSV separately.",
                "This ZIP file contains %(count)s files (%(names)s). ACTITO accepts a ZIP with "
                "exactly one CSV file: upload each CSV separately.",
                len(files),
            )
            % {"count": len(files), "names": listed},
        )
    info = files[0]
    if info.flag_bits & 0x1:
        raise FileProblem(
            "ENCRYPTED_ARCHIVE",
            _("This ZIP file is protected by a password. Create the ZIP again without a password."),
        )
    # The declared sizes can lie (the cap in _CappedReader catches that), but an honest bomb is
    # refused here before we unpack a single byte.
    if info.file_size > limits.max_uncompressed_bytes or (
        info.file_size > limits.ratio_checked_after
        and info.file_size > limits.max_compression_ratio * max(info.compress_size, 1)
    ):
        raise FileProblem(
            "ZIP_BOMB",
            _(
                "“%(name)s” would unpack to %(size)s from %(compressed)s. That is not a normal "
                "CSV file, so we did not open it."
            )
            % {
                "name": info.filename,
                "size": human_size(info.file_size),
                "compressed": human_size(info.compress_size),
            },
        )
    return info


def _corrupt(container: Container) -> FileProblem:
    kind = "ZIP" if container == "zip" else "gzip (.gz)"
    return FileProblem(
        "CORRUPT_ARCHIVE",
        _(
            "This %(kind)s file is damaged or incomplete, so it cannot be unpacked. Compress the "
            "CSV again, or upload the CSV without compression."
        )
        % {"kind": kind},
    )


@contextmanager
def translate_read_errors(container: Container) -> Iterator[None]:
    """Turn the many ways a damaged archive fails into one message a user understands."""
    try:
        yield
    except (zipfile.BadZipFile, gzip.BadGzipFile, zlib.error, EOFError) as exc:
        raise _corrupt(container) from exc
    except NotImplementedError as exc:  # e.g. Deflate64, which zipfile cannot read
        raise FileProblem(
            "CORRUPT_ARCHIVE",
            _(
                "This ZIP file uses a compression method we cannot read. Create it again with "
                "the standard ZIP (Deflate) compression, or upload the CSV without compression."
            ),
        ) from exc


@contextmanager
def open_decompressed(
    path: Path, *, limits: Limits = DEFAULT_LIMITS
) -> Iterator[tuple[io.BufferedReader[Any], Container, str | None]]:
    """The CSV's bytes as a buffered stream, whatever the container.

    Yields `(stream, container, member_name)`. Reading past the limits raises `FileProblem`.
    """
    path = Path(path)
    container = _sniff_container(path)
    size = path.stat().st_size
    with translate_read_errors(container):
        if container == "plain":
            if size > limits.max_uncompressed_bytes:
                raise FileProblem(
                    "FILE_TOO_LARGE",
                    _(
                        "This file is %(size)s; the largest file we can process is %(limit)s. "
                        "Split it into smaller files."
                    )
                    % {
                        "size": human_size(size),
                        "limit": human_size(limits.max_uncompressed_bytes),
                    },
                )
            with open(path, "rb", buffering=READ_BUFFER) as f:
                # open() with a buffer size is typed BinaryIO; it is a BufferedReader.
                yield cast("io.BufferedReader[Any]", f), container, None
            return
        if container == "gzip":
            with open(path, "rb") as raw, gzip.GzipFile(fileobj=raw, mode="rb") as gz:
                capped = _CappedReader(
                    gz, container="gzip", compressed_size=size, limits=limits, consumed=raw.tell
                )
                with io.BufferedReader(capped, buffer_size=READ_BUFFER) as stream:
                    yield stream, container, None
            return
        with zipfile.ZipFile(path) as archive:
            info = _zip_member(archive, limits)
            with archive.open(info) as member:

                def consumed() -> int:
                    # ZipExtFile keeps what is left to read; without it, the whole member.
                    left = getattr(member, "_compress_left", 0)
                    return info.compress_size - left if isinstance(left, int) else 0

                capped = _CappedReader(
                    cast(ReadsInto, member),  # a ZipExtFile, typed as IO[bytes]
                    container="zip",
                    compressed_size=info.compress_size,
                    limits=limits,
                    consumed=consumed,
                )
                with io.BufferedReader(capped, buffer_size=READ_BUFFER) as stream:
                    yield stream, container, info.filename
