"""Reference data for the SSDA903 rules that need what a return does not hold (``validate --reference DIR``).

The DfE derives a placement's distance from home and its local authority from the postcodes (rules 164, 169), and
checks a URN against Ofsted's register of the setting's placement types, provider type and postcode (218, 219, 221,
224). Neither list is published in a form this system can hold: Ofsted's "Children's social care providers" list is
downloaded by the council, and the postcode sector centroids come from the ONS postcode directory. A council gives
them as two CSV files in one folder (either may be left out: the rules needing the other run alone):

``providers.csv``  -- one row per Ofsted-registered setting:
    ``URN``             the Ofsted unique reference number (e.g. SC123456)
    ``POSTCODE``        the setting's postcode (full, or its sector: outward code and the inward code's digit)
    ``PLACE_CODES``     the SSDA903 PLACE codes a child placed there may have (space or comma separated)
    ``PROVIDER_CODES``  the PLACE_PROVIDER codes of its provider (space or comma separated)
    ``REG_START``, ``REG_END``  (optional, both or neither) the day Ofsted registered the setting and the day its
                        registration ended (DD/MM/YYYY, blank while registered): rules 227 and 228

``postcodes.csv``  -- one row per postcode sector (the part of a postcode the 903 holds, e.g. ``NB1 2``):
    ``SECTOR``          the sector (a full postcode is cut to its sector)
    ``LA``              the ONS code of its local authority (E06..., E07..., E08..., E09..., E10...; W06 Wales,
                        S12 Scotland, N09 Northern Ireland)
    ``LATITUDE``, ``LONGITUDE``  the sector's centroid in degrees

The council's own local authority (its ONS code, ``validate --la E09000027``) is given on the command line, as the
DfE's collection system knows it from the login: the rules comparing the LA of placement with it (503J, 1015, 229)
run only where it is given with the postcodes (part ``authority``).

Read as strictly as a return: UTF-8, the columns named exactly (any order), a bad value refused naming the file,
line and column (``ReturnRefused``), at most :data:`MAX_REFERENCE_BYTES` a file.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Final

from safeguarding.core.spreadsheet import FORMULA_STARTS
from safeguarding.returns.ssda903.reader import ReturnRefused, parse_date
from safeguarding.returns.ssda903.tables import PROVIDER_CODES, place_codes

PROVIDERS_FILE: Final = "providers.csv"
POSTCODES_FILE: Final = "postcodes.csv"
PROVIDER_COLUMNS: Final = ("URN", "POSTCODE", "PLACE_CODES", "PROVIDER_CODES")
REGISTRATION_COLUMNS: Final = ("REG_START", "REG_END")
POSTCODE_COLUMNS: Final = ("SECTOR", "LA", "LATITUDE", "LONGITUDE")
MAX_REFERENCE_BYTES: Final = 200_000_000  # England's postcode sectors are about 10,000 rows; the register 5,000
# The ONS codes of local authorities with children's services, and their neighbours' (GSS code: a letter for the
# nation, two digits for the kind of area, six digits).
LA_CODE: Final = re.compile(r"(E0[6-9]|E10|W06|S12|N09)[0-9]{6}")
URN_FORM: Final = re.compile(r"(SC)?[0-9]{6,7}", re.IGNORECASE)
_SECTOR: Final = re.compile(r"^([A-Z]{1,2}[0-9][0-9A-Z]?) ?([0-9])")
_NUMBER: Final = re.compile(r"[-+]?[0-9]{1,3}(\.[0-9]+)?")
EARTH_RADIUS_MILES: Final = 3958.8
_ALL_PLACES: Final = frozenset().union(*(place_codes(y) for y in (2024, 2025)))


def sector_of(postcode: str | None) -> str | None:
    """A postcode as the 903 compares it: its outward code and the inward code's digit (``NB1 2``); None where the
    text is not the start of a postcode."""
    if not postcode:
        return None
    if postcode in _sectors:
        return _sectors[postcode]
    found = _SECTOR.match(postcode.strip().upper())
    sector = f"{found.group(1)} {found.group(2)}" if found else None
    if len(_sectors) < 200_000:  # a child's postcodes repeat on each episode, and several rules read them
        _sectors[postcode] = sector
    return sector


_sectors: dict[str, str | None] = {}


@dataclass(frozen=True)
class Provider:
    urn: str
    sector: str | None
    place_codes: frozenset[str]
    provider_codes: frozenset[str]
    registered_on: date | None = None  # REG_START, where the list gives it
    closed_on: date | None = None  # REG_END: None while registered


@dataclass(frozen=True)
class Sector:
    la: str
    latitude: float
    longitude: float


@dataclass
class Reference:
    """What was given: ``providers`` and ``sectors`` are None where their file was not."""

    providers: dict[str, Provider] | None = None
    sectors: dict[str, Sector] | None = None
    source: str = ""
    parts: frozenset[str] = field(default=frozenset())
    authority: str | None = None  # the council's own ONS code (validate --la)

    def provider(self, urn: str | None) -> Provider | None:
        return None if self.providers is None or urn is None else self.providers.get(urn.strip().upper())

    # Worked out once per postcode, and once per pair for distances: a return of 100,000 children asks about the
    # same few thousand postcodes millions of times (a dozen rules read each episode's distance and LA).
    _sector_of: dict[str | None, Sector | None] = field(default_factory=dict, init=False, repr=False, compare=False)
    _miles: dict[tuple[str | None, str | None], float | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def sector(self, postcode: str | None) -> Sector | None:
        try:
            return self._sector_of[postcode]
        except KeyError:
            key = sector_of(postcode)
            found = None if self.sectors is None or key is None else self.sectors.get(key)
            self._sector_of[postcode] = found
            return found

    def la_of(self, postcode: str | None) -> str | None:
        """The local authority of a postcode's sector (the DfE's LA of placement), None where not known."""
        found = self.sector(postcode)
        return found.la if found is not None else None

    def distance_miles(self, home: str | None, placed: str | None) -> float | None:
        """The distance between the two sectors' centroids (great circle), or None where either is not known."""
        try:
            return self._miles[home, placed]
        except KeyError:
            pass
        a, b = self.sector(home), self.sector(placed)
        miles = None
        if a is not None and b is not None:
            lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
            dlat, dlon = lat2 - lat1, math.radians(b.longitude - a.longitude)
            h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
            miles = 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(h)))
        self._miles[home, placed] = miles
        return miles


def _rows(path: Path, columns: tuple[str, ...], optional: tuple[str, ...] = ()) -> Iterator[tuple[int, dict[str, str]]]:
    name = path.name
    if path.stat().st_size > MAX_REFERENCE_BYTES:
        raise ReturnRefused(f"the file is larger than {MAX_REFERENCE_BYTES // 1_000_000} MB", name)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, strict=True)
            header = [c.strip().upper() for c in next(reader, [])]
            extra = sorted(set(header) - set(columns))
            if (
                not set(columns) <= set(header)
                or len(set(header)) != len(header)
                or (extra and extra != sorted(optional))
            ):
                also = f" (and optionally {', '.join(optional)})" if optional else ""
                raise ReturnRefused(
                    f"the columns must be {', '.join(columns)}{also} (found {', '.join(header)})", name, 1
                )
            for cells in reader:
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue
                line = reader.line_num
                if len(cells) != len(header):
                    raise ReturnRefused(
                        f"the row has {len(cells)} cells where the header has {len(header)}", name, line
                    )
                for column, raw in zip(header, cells, strict=True):
                    formula = raw.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(raw)  # -0.5 is a longitude
                    if formula or "\x00" in raw or len(raw) > 200:
                        raise ReturnRefused("the cell is not a reference value", name, line, column)
                yield line, {c: v.strip() for c, v in zip(header, cells, strict=True)}
    except UnicodeDecodeError:
        raise ReturnRefused("the file is not UTF-8 text (save it as CSV UTF-8)", name) from None
    except csv.Error as exc:
        raise ReturnRefused(f"this is not valid CSV ({exc})", name) from None


def _codes(raw: str, valid: frozenset[str], name: str, line: int, column: str) -> frozenset[str]:
    found = frozenset(c for c in re.split(r"[\s,;]+", raw.upper()) if c)
    unknown = sorted(found - valid)
    if unknown:
        raise ReturnRefused(f"{', '.join(unknown)} is not an SSDA903 code of this column", name, line, column)
    return found


def _day(raw: str, name: str, line: int, column: str) -> date | None:
    if not raw:
        return None
    day = parse_date(raw)
    if day is None:
        raise ReturnRefused("the date must be a day as DD/MM/YYYY, or blank", name, line, column)
    return day


def own_authority(code: str) -> str:
    """The council's own ONS code as given (``--la``), refused where it is not one."""
    la = code.strip().upper()
    if not LA_CODE.fullmatch(la):
        raise ReturnRefused("--la must be the ONS code of a local authority (like E09000027)", "--la")
    return la


def load_reference(folder: Path | str, authority: str | None = None) -> Reference:
    """The reference data in ``folder`` (``providers.csv``, ``postcodes.csv``, at least one of them), and the
    council's own ONS code where given."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ReturnRefused("the reference data is a folder holding providers.csv and/or postcodes.csv", str(folder))
    files = {p.name.lower(): p for p in folder.iterdir() if p.is_file()}
    if PROVIDERS_FILE not in files and POSTCODES_FILE not in files:
        raise ReturnRefused(f"the folder holds neither {PROVIDERS_FILE} nor {POSTCODES_FILE}", str(folder))
    reference = Reference(source=str(folder))
    if PROVIDERS_FILE in files:
        reference.providers = {}
        for line, row in _rows(files[PROVIDERS_FILE], PROVIDER_COLUMNS, REGISTRATION_COLUMNS):
            urn = row["URN"].upper()
            if not URN_FORM.fullmatch(urn):
                raise ReturnRefused(
                    "the URN is not an Ofsted URN (SC and six digits, or six or seven digits)",
                    PROVIDERS_FILE,
                    line,
                    "URN",
                )
            reference.providers[urn] = Provider(
                urn,
                sector_of(row["POSTCODE"]),
                _codes(row["PLACE_CODES"], _ALL_PLACES, PROVIDERS_FILE, line, "PLACE_CODES"),
                _codes(row["PROVIDER_CODES"], PROVIDER_CODES, PROVIDERS_FILE, line, "PROVIDER_CODES"),
                _day(row.get("REG_START", ""), PROVIDERS_FILE, line, "REG_START"),
                _day(row.get("REG_END", ""), PROVIDERS_FILE, line, "REG_END"),
            )
    if POSTCODES_FILE in files:
        reference.sectors = {}
        for line, row in _rows(files[POSTCODES_FILE], POSTCODE_COLUMNS):
            sector = sector_of(row["SECTOR"])
            if sector is None:
                raise ReturnRefused("this is not a postcode sector (like NB1 2)", POSTCODES_FILE, line, "SECTOR")
            la = row["LA"].upper()
            if not LA_CODE.fullmatch(la):
                raise ReturnRefused(
                    "this is not the ONS code of a local authority (like E09000027)", POSTCODES_FILE, line, "LA"
                )
            try:
                lat, lon = float(row["LATITUDE"]), float(row["LONGITUDE"])
            except ValueError:
                raise ReturnRefused("the latitude and longitude must be numbers", POSTCODES_FILE, line) from None
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ReturnRefused("the latitude or longitude is out of range", POSTCODES_FILE, line)
            reference.sectors[sector] = Sector(la, lat, lon)
    if authority is not None:
        reference.authority = own_authority(authority)
    reference.parts = parts_of(reference)
    return reference


def parts_of(reference: Reference) -> frozenset[str]:
    """What the reference lets run: ``providers``, ``postcodes``, and ``authority`` (the council's own code with
    the postcodes, to place an LA of placement in or out of the council)."""
    held = {
        part
        for part, given in (("providers", reference.providers), ("postcodes", reference.sectors))
        if given is not None
    }
    if reference.authority is not None and "postcodes" in held:
        held.add("authority")
    return frozenset(held)
