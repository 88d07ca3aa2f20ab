"""The Open Contracting Data Standard 1.1 schemas the tests validate the published packages against, read
from disk: nothing is fetched while the tests run.

Where they come from. No wheel on the package registry ships the standard's schema files: libcoveocds,
ocdskit, ocdsmerge, ocdsextensionregistry, ocdscardinal, ocds-babel, flattentool, ocdsnightingale,
followthemoney-ocds, ocdsmerge-rs and sphinxcontrib-opencontracting were opened, and libcoveocds (like
ocdskit) downloads the schema and the extensions when it validates. Two source distributions on the same
registry do ship them, as the fixtures of their own tests:

- ``ocdsextensionregistry-0.7.0.tar.gz``: ``tests/fixtures/release-schema.json``, the OCDS 1.1.5 release
  schema as published;
- ``ocdskit-1.7.0.tar.gz``: ``tests/fixtures/release-package-schema.json`` (OCDS 1.1.5 release package),
  ``tests/fixtures/a/record-package-schema-dereferenced.json`` (the 1.1.5 record package with a release
  schema patched with a publisher's extensions inlined) and ``tests/fixtures/a/release-schema.json`` (that
  patched release schema, whose extensions include the bid extension and the transaction milestones
  extension the app declares).

``make install`` runs ``python -m tests.ocds_schema fetch``: pip downloads the two archives (pinned by
version and SHA-256), and the four files are unpacked into ``.venv/share/ocds-schema/``. The record
package schema is stored with its inlined release schemas replaced by a reference to the release schema
below, so records are checked against the same schema as releases.

What is validated (JSON Schema draft 4, as the standard uses, with format checks): the release package
against the 1.1.5 release package schema whose releases follow the 1.1.5 release schema patched with the
bid extension (``bids``, ``Bids``, ``Bid``, the bid statistic) and the transaction milestones extension
(``Transaction.relatedImplementationMilestone``, ``MilestoneReference``), those definitions taken as the
patched fixture carries them; the record package against the 1.1.5 record package schema with the same
release schema; and every release, on its own, against the unpatched 1.1.5 release schema."""
from __future__ import annotations

import copy
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from functools import lru_cache
from pathlib import Path

ARCHIVES = {
    "ocdsextensionregistry==0.7.0": "aae3b247712509f158e16f44747039cfd0a9ee847590aba4794933d6fa79341a",
    "ocdskit==1.7.0": "02a7d6182bbd7672cfd26cdbcae9726fbacdb917203d2bd5a726caa30040ff76",
}
# stored name: (archive, member)
FILES = {
    "release-schema.json": ("ocdsextensionregistry-0.7.0", "tests/fixtures/release-schema.json"),
    "release-package-schema.json": ("ocdskit-1.7.0", "tests/fixtures/release-package-schema.json"),
    "record-package-schema.json": ("ocdskit-1.7.0", "tests/fixtures/a/record-package-schema-dereferenced.json"),
    "patched-release-schema.json": ("ocdskit-1.7.0", "tests/fixtures/a/release-schema.json"),
}
FOLDER = Path(sys.prefix) / "share" / "ocds-schema"
RELEASE_ID = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"
EXTENDED_ID = "urn:linkage:ocds-1.1.5-release-schema-with-bids-and-transaction-milestones"


# --------------------------------------------------------------------------- fetching (at install)


def _member(archive: tarfile.TarFile, prefix: str, member: str) -> dict:
    handle = archive.extractfile(f"{prefix}/{member}")
    return json.load(handle)


def _record_package(schema: dict) -> dict:
    """The record package schema with its inlined release schemas replaced by a reference to the release's."""
    record = schema["properties"]["records"]["items"]
    record["properties"]["compiledRelease"] = {"$ref": RELEASE_ID}
    for choice in record["properties"]["releases"]["oneOf"]:
        if "Linked" not in choice.get("title", ""):
            choice["items"] = {"$ref": RELEASE_ID}
    record["properties"].pop("versionedRelease", None)   # never published here
    return schema


def fetch(folder: Path = FOLDER) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                        "--dest", tmp, *ARCHIVES], check=True)
        for requirement, digest in ARCHIVES.items():
            name, version = requirement.split("==")
            path = Path(tmp) / f"{name}-{version}.tar.gz"
            if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
                raise SystemExit(f"{path.name}: unexpected SHA-256")
        for stored, (prefix, member) in FILES.items():
            with tarfile.open(Path(tmp) / f"{prefix}.tar.gz") as archive:
                schema = _member(archive, prefix, member)
            if stored == "record-package-schema.json":
                schema = _record_package(schema)
            (folder / stored).write_text(json.dumps(schema), encoding="utf-8")


# --------------------------------------------------------------------------- validating (in the tests)


def _load(name: str) -> dict:
    path = FOLDER / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `make install` (python -m tests.ocds_schema fetch)")
    return json.loads(path.read_text(encoding="utf-8"))


def _references(value) -> set[str]:
    if isinstance(value, dict):
        found = {value["$ref"].rsplit("/", 1)[1]} if str(value.get("$ref", "")).startswith("#/definitions/") else set()
        return found.union(*(_references(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(_references(item) for item in value))
    return set()


def extended_release_schema() -> dict:
    """The 1.1.5 release schema with the bid and the transaction milestones extensions applied."""
    schema, patched = copy.deepcopy(_load("release-schema.json")), _load("patched-release-schema.json")
    schema["id"] = EXTENDED_ID
    schema["properties"]["bids"] = {"$ref": "#/definitions/Bids"}
    transaction = schema["definitions"]["Transaction"]["properties"]
    transaction["relatedImplementationMilestone"] = {"$ref": "#/definitions/MilestoneReference"}
    wanted = {"Bids", "MilestoneReference"}
    while wanted - set(schema["definitions"]):
        for name in wanted - set(schema["definitions"]):
            schema["definitions"][name] = copy.deepcopy(patched["definitions"][name])
        wanted |= _references(schema["definitions"])
    return schema


@lru_cache(maxsize=None)
def _schemas() -> dict[str, dict]:
    extended = extended_release_schema()
    release_package, record_package = _load("release-package-schema.json"), _load("record-package-schema.json")
    for package in (release_package, record_package):
        text = json.dumps(package).replace(json.dumps(RELEASE_ID), json.dumps(EXTENDED_ID))
        package.clear()
        package.update(json.loads(text))
    return {"release": _load("release-schema.json"), "extended": extended,
            "release-package": release_package, "record-package": record_package}


def errors(data: dict, kind: str) -> list[str]:
    """Every schema error of ``data`` against ``kind`` ("release-package", "record-package" or "release",
    the unextended release schema), as "path: message" lines."""
    from jsonschema import Draft4Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    schemas = _schemas()
    registry = Registry().with_resources(
        (schema["id"], Resource.from_contents(schema, default_specification=DRAFT4))
        for schema in schemas.values())
    validator = Draft4Validator(schemas[kind], registry=registry, format_checker=Draft4Validator.FORMAT_CHECKER)
    return sorted(f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
                  for error in validator.iter_errors(data))


if __name__ == "__main__" and sys.argv[1:] == ["fetch"]:
    fetch()
